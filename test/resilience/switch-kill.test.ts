/**
 * kill -9 in the switch at the end of a sync: after the Parquet is written, inside the catalog's transaction,
 * and after its commit. Before the commit the previous versions stay current and whole and the next sync
 * resumes into the same switch; after it the new versions are current and the next sync starts clean.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import {
  CONVERSAS_BIN,
  DAY,
  dayOf,
  queryCatalog,
  queryStaging,
  runCli,
  sandboxOverrides,
} from '../helpers.js';

let sb: Sandbox;
let dir: string;
beforeAll(async () => {
  sb = await startSandbox({ world: { seed: 29, contacts: 12 }, requestsPerMinute: 0 });
  dir = mkdtempSync(join(tmpdir(), 'conversas-switch-kill-'));
});
afterAll(() => sb.close());

/** `conversas sync`, killed with SIGKILL once it says it reached `point`. */
function syncKilledAt(args: string[], point: string): Promise<string> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CONVERSAS_BIN, 'sync', ...args], {
      env: { ...process.env, LOG_LEVEL: 'warn', CONVERSAS_PAUSE_AT: point },
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (stderr.includes(`paused at ${point}`)) child.kill('SIGKILL');
    });
    child.on('close', () => resolve(stderr));
  });
}

/** What is current: each table's version and rows, and its content's hash. */
const current = (db: string) =>
  queryCatalog(
    db,
    `SELECT table_name, version, rows FROM _conversas.versions WHERE status = 'current' ORDER BY table_name`,
  );
const content = async (db: string) =>
  (
    await queryCatalog(
      db,
      `SELECT count(*) AS n, md5(string_agg(to_json(c)::VARCHAR, '|' ORDER BY _id)) AS h FROM raw.contacts c`,
    )
  )[0];

describe('kill -9 in the switch', () => {
  for (const point of ['switch:parquet-written', 'switch:in-transaction', 'switch:committed'])
    it(`at ${point}`, async () => {
      const db = join(dir, `${point.replace(/\W/g, '_')}.duckdb`);
      const file = join(dir, `${point.replace(/\W/g, '_')}.json`);
      const config = sandboxOverrides(sb, dayOf(sb.world.now - 30 * DAY), dayOf(sb.world.now));
      const streams = { messages_history: { selected: false } };
      writeFileSync(file, JSON.stringify({ name: 'killed', config, streams }));
      const args = ['--source', file, '--db', db];
      const first = await runCli(CONVERSAS_BIN, ['sync', ...args], { LOG_LEVEL: 'warn' });
      expect(first.code, first.stderr).toBe(0);
      const before = await current(db);
      const beforeContent = await content(db);
      expect(before.every((t) => t['version'] === 1)).toBe(true);

      const stderr = await syncKilledAt([...args, '--full'], point);
      expect(stderr).toContain(`paused at ${point}`);
      const committed = point === 'switch:committed';
      const after = await current(db);
      // Before the commit: version 1 current and whole. After it: version 2, every table of the sync.
      expect(after).toEqual(before.map((t) => ({ ...t, version: committed ? 2 : 1 })));
      expect(await content(db)).toEqual(beforeContent);

      const again = await runCli(CONVERSAS_BIN, ['sync', ...args], { LOG_LEVEL: 'info' });
      expect(again.code, again.stderr).toBe(0);
      // Killed before the commit, the next sync resumes into the same switch; after it, it starts anew.
      if (committed) expect(again.stderr).not.toMatch(/resuming/);
      else expect(again.stderr).toMatch(/resuming/);
      const final = await current(db);
      expect(final.map((t) => [t['table_name'], t['rows']])).toEqual(
        before.map((t) => [t['table_name'], t['rows']]),
      );
      expect(final.every((t) => t['version'] === (committed ? 3 : 2))).toBe(true);
      expect(await content(db)).toEqual(beforeContent);
      // Nothing is left staged.
      expect(await queryStaging(db, 'killed', `SELECT count(*)::INT AS n FROM _conversas.versions`)).toEqual([
        { n: 0 },
      ]);
    }, 60_000);
});
