/** `conversas schedule`: runs on a fast cron expression, never two syncs at once, stops on SIGTERM. */
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SourceDirectory } from '../../src/pipeline/directory.js';
import { RunStore } from '../../src/runs/records.js';
import { startSandbox } from '../../src/sandbox/index.js';
import { CONVERSAS_BIN, DAY, dayOf, runCli, onlyStreams, sandboxOverrides } from '../helpers.js';

describe('conversas schedule', () => {
  it('runs sync on each tick, skips ticks while one runs, and keeps versions', async () => {
    const db = join(mkdtempSync(join(tmpdir(), 'schedule-')), 'c.duckdb');
    const res = await runCli(CONVERSAS_BIN, [
      'schedule',
      '--sandbox',
      '--contacts',
      '120',
      '--cron',
      '* * * * * *',
      '--max-runs',
      '3',
      '--db',
      db,
    ]);
    expect(res.code, res.stderr).toBe(0);
    const events = res.stderr
      .split('\n')
      .filter((l) => /scheduled sync \d+ (started|finished)|tick skipped/.test(l));
    const runs = events
      .filter((e) => /started|finished/.test(e))
      .map((e) => e.replace(/^INFO scheduled sync (\d+) (\w+)$/, '$2 $1'));
    expect(runs).toEqual(['started 1', 'finished 1', 'started 2', 'finished 2', 'started 3', 'finished 3']);
    expect(events.some((e) => e.includes('tick skipped'))).toBe(true);
    // Once per run at most, however many ticks a per-second schedule skips.
    expect(events.filter((e) => e.includes('tick skipped')).length).toBeLessThanOrEqual(3);
    const tables = await runCli(CONVERSAS_BIN, ['tables', '--db', db]);
    expect(tables.stdout).toMatch(/raw\s+contacts\s+contacts\s+120\s+3/);
  });

  it('rejects an invalid expression with one clear line', async () => {
    const res = await runCli(CONVERSAS_BIN, ['schedule', '--sandbox', '--cron', 'every minute']);
    expect(res.code).toBe(2);
    expect(res.stderr.trim()).toMatch(/^conversas: schedule "every minute" is not a valid cron expression/);
  });

  it('stops cleanly on SIGTERM', async () => {
    const db = join(mkdtempSync(join(tmpdir(), 'schedule-')), 'c.duckdb');
    const child = spawn(process.execPath, [
      CONVERSAS_BIN,
      'schedule',
      '--sandbox',
      '--contacts',
      '20',
      '--cron',
      '* * * * * *',
      '--db',
      db,
    ]);
    let stderr = '';
    const code = await new Promise<number | null>((resolve) => {
      child.stderr.on('data', (d: Buffer) => {
        stderr += d.toString();
        if (stderr.includes('scheduled sync 1 finished') && !child.killed) child.kill('SIGTERM');
      });
      child.on('close', resolve);
    });
    expect(stderr).toMatch(/schedule stopped after \d+ sync/);
    expect(code).toBe(0);
  });
});

describe('conversas schedule --dir', () => {
  it('runs the sources of a directory at once, sources of one account within its budget, skipping a disabled schedule, and records each run', async () => {
    // Account A answers 429 past 240 requests a minute (with some slack for jitter); account B has no limit.
    const a = await startSandbox({ world: { seed: 41, contacts: 20 }, requestsPerMinute: 240, burst: 10 });
    const b = await startSandbox({ world: { seed: 43, contacts: 15 }, requestsPerMinute: 0 });
    try {
      const dir = mkdtempSync(join(tmpdir(), 'schedule-dir-'));
      const sources = new SourceDirectory(dir);
      const configOf = (sb: typeof a) => ({
        ...sandboxOverrides(sb, dayOf(sb.world.now - 30 * DAY), dayOf(sb.world.now - DAY)),
        requests_per_minute: 240,
      });
      const only = (...streams: string[]) => ({
        streams: onlyStreams(...streams),
      });
      const every = '* * * * * *';
      // Two sources of account A, each alone at A's whole budget: together they must share it.
      sources.save({ name: 'people', config: configOf(a), schedule: every, ...only('contacts', 'messages') });
      sources.save({
        name: 'people_too',
        config: configOf(a),
        schedule: every,
        table_prefix: 'again_',
        ...only('contacts', 'messages'),
      });
      sources.save({
        name: 'other',
        config: configOf(b),
        schedule: every,
        table_prefix: 'b_',
        ...only('contacts', 'employees'),
      });
      sources.save({
        name: 'paused',
        config: configOf(b),
        schedule: every,
        schedule_paused: true,
        ...only('flows'),
      });
      const res = await runCli(CONVERSAS_BIN, ['schedule', '--dir', dir, '--max-runs', '1']);
      expect(res.code, res.stderr).toBe(0);
      const runs = new RunStore(dir);
      for (const name of ['people', 'people_too', 'other'])
        expect(runs.list(name).map((r) => [r.status, r.trigger])).toEqual([['succeeded', 'schedule']]);
      expect(runs.list('paused')).toEqual([]);
      // One catalog in the directory, with each source's tables.
      const tables = await runCli(CONVERSAS_BIN, ['tables', '--db', join(dir, 'conversas.duckdb')]);
      expect(tables.stdout).toMatch(/raw\s+contacts\s+contacts\s+20\s+1/);
      expect(tables.stdout).toMatch(/raw\s+again_contacts\s+contacts\s+20\s+1/);
      expect(tables.stdout).toMatch(/raw\s+b_contacts\s+contacts\s+15\s+1/);
      expect(tables.stdout).toMatch(/raw\s+b_employees\s+employees\s+\d+\s+1/);
      expect(tables.stdout).not.toMatch(/flows/);
      // At once: every run began before any other ended.
      const spans = ['people', 'people_too', 'other'].map((name) => {
        const r = runs.list(name)[0]!;
        return [Date.parse(r.started_at), Date.parse(r.ended_at!)] as const;
      });
      const lastStart = Math.max(...spans.map((s) => s[0]));
      const firstEnd = Math.min(...spans.map((s) => s[1]));
      expect(lastStart).toBeLessThan(firstEnd);
      // The two sources of account A together stayed within its budget: not one 429.
      expect(a.counters.rateLimited).toBe(0);
      expect(a.counters.total).toBeGreaterThan(40);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  }, 120_000);
});
