/** `conversas schedule`: runs on a fast cron expression, never two syncs at once, stops on SIGTERM. */
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SourceDirectory } from '../../src/pipeline/directory.js';
import { startSandbox } from '../../src/sandbox/index.js';
import { STREAMS } from '../../src/streams/index.js';
import { CONVERSAS_BIN, DAY, dayOf, runCli, sandboxOverrides } from '../helpers.js';

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
  it('runs every source of a directory on its own trigger, one at a time, skipping a disabled schedule, and records each run', async () => {
    const sb = await startSandbox({ world: { seed: 41, contacts: 15, reports: 20 }, requestsPerMinute: 0 });
    try {
      const dir = mkdtempSync(join(tmpdir(), 'schedule-dir-'));
      const sources = new SourceDirectory(dir);
      const config = sandboxOverrides(sb, dayOf(sb.world.now - 30 * DAY), dayOf(sb.world.now - DAY));
      const only = (stream: string) => ({
        streams: Object.fromEntries(STREAMS.map((s) => [s.name, { selected: s.name === stream }])),
      });
      sources.save({ name: 'people', config, schedule: '* * * * * *', ...only('contacts') });
      sources.save({ name: 'team', config, schedule: '*/2 * * * * *', ...only('employees') });
      sources.save({
        name: 'paused',
        config,
        schedule: '* * * * * *',
        schedule_paused: true,
        ...only('flows'),
      });
      const res = await runCli(CONVERSAS_BIN, ['schedule', '--dir', dir, '--max-runs', '2']);
      expect(res.code, res.stderr).toBe(0);
      expect(sources.runs('people').map((r) => r.result)).toEqual(['ok', 'ok']);
      expect(sources.runs('team').map((r) => r.result)).toEqual(['ok', 'ok']);
      expect(sources.runs('paused')).toEqual([]);
      // One catalog in the directory, with each source's tables.
      const tables = await runCli(CONVERSAS_BIN, ['tables', '--db', join(dir, 'conversas.duckdb')]);
      expect(tables.stdout).toMatch(/raw\s+contacts\s+contacts\s+15\s+2/);
      expect(tables.stdout).toMatch(/raw\s+employees\s+employees\s+\d+\s+2/);
      expect(tables.stdout).not.toMatch(/flows/);
      // Never two at once: every run ended before the next began.
      const runs = [...sources.runs('people'), ...sources.runs('team')]
        .map((r) => [Date.parse(r.started_at), Date.parse(r.started_at) + r.seconds * 1000] as const)
        .sort((a, b) => a[0] - b[0]);
      for (let i = 1; i < runs.length; i++) expect(runs[i]![0]).toBeGreaterThanOrEqual(runs[i - 1]![1] - 5);
    } finally {
      await sb.close();
    }
  });
});
