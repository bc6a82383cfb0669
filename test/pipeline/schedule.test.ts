/** `conversas schedule`: runs on a fast cron expression, never two syncs at once, stops on SIGTERM. */
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CONVERSAS_BIN, runCli } from '../helpers.js';

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
