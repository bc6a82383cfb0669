/**
 * The catalog answers while a sync runs: a sync at a budget that makes it last tens of seconds, while one
 * process runs `conversas query` (on tables and the service layer's views) again and again and another holds the read file open the whole time. No
 * query fails, the sync completes, and afterwards queries see its version. Timings are the bench's.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { layoutOf } from '../../src/catalog/layout.js';
import { silentLogger } from '../../src/log.js';
import { parseSource } from '../../src/pipeline/source.js';
import { runPipeline } from '../../src/pipeline/sync.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { CONVERSAS_BIN, DAY, dayOf, runCli, sandboxOverrides } from '../helpers.js';

let sb: Sandbox;
let dir: string;
beforeAll(async () => {
  sb = await startSandbox({ world: { seed: 23, contacts: 40 }, requestsPerMinute: 0 });
  dir = mkdtempSync(join(tmpdir(), 'conversas-readable-'));
});
afterAll(() => sb.close());

/** A process that opens the read file, says so, and keeps it open (querying it) until its stdin closes. */
const HOLDER = `
const { DuckDBInstance } = require('@duckdb/node-api');
(async () => {
  const instance = await DuckDBInstance.create(process.argv[1], { access_mode: 'READ_ONLY' });
  const c = await instance.connect();
  const n = async () => (await c.runAndReadAll('SELECT count(*) FROM _conversas.versions')).getRows()[0][0];
  process.stdout.write('open ' + (await n()) + '\\n');
  const timer = setInterval(() => n().catch((e) => { process.stdout.write('failed ' + e.message + '\\n'); }), 100);
  process.stdin.on('end', () => { clearInterval(timer); process.stdout.write('closed\\n'); process.exit(0); });
  process.stdin.resume();
})();
`;

describe('the readable catalog', () => {
  it('queries never fail while a long sync runs and a reader holds the read file; then they see its version', async () => {
    const db = join(dir, 'cat.duckdb');
    const config = sandboxOverrides(sb, dayOf(sb.world.now - 30 * DAY), dayOf(sb.world.now));
    const streams = { messages_history: { selected: false } };
    const first = await runPipeline({
      source: parseSource({ name: 'long', config, streams }),
      db,
      log: silentLogger,
    });
    // A budget that makes the same sync last about 35 s (the first requests go at once, as a burst).
    const rpm = Math.max(1, Math.round(((first.tap.requests - 5) * 60) / 35));
    const file = join(dir, 'long.json');
    writeFileSync(
      file,
      JSON.stringify({ name: 'long', config: { ...config, requests_per_minute: rpm }, streams }),
    );

    const holder = spawn(process.execPath, ['-e', HOLDER, layoutOf(db).read], { cwd: process.cwd() });
    let held = '';
    holder.stdout.on('data', (d: Buffer) => (held += d.toString()));
    await new Promise<void>((resolve) => holder.stdout.on('data', () => held.includes('open') && resolve()));

    const sync = spawn(process.execPath, [CONVERSAS_BIN, 'sync', '--source', file, '--db', db, '--fresh'], {
      env: { ...process.env, LOG_LEVEL: 'warn' },
    });
    let syncErr = '';
    sync.stderr.on('data', (d: Buffer) => (syncErr += d.toString()));
    const ended = new Promise<number | null>((resolve) => sync.on('close', resolve));
    let running = true;
    void ended.then(() => (running = false));

    const failures: string[] = [];
    let during = 0;
    while (running) {
      // The service layer's views too: answered during the sync, and always over the tables they sit beside.
      const res = await runCli(CONVERSAS_BIN, [
        'query',
        `SELECT (SELECT count(*) FROM service.attendances) - (SELECT count(*) FROM raw.reports) AS gap, (SELECT count(*) FROM service.conversation_days) > 0 AS days`,
        '--db',
        db,
      ]);
      if (res.code !== 0) failures.push(res.stderr.trim());
      else if (res.stdout.trim() !== '{"gap":0,"days":true}') failures.push(res.stdout.trim());
      else if (running) during += 1;
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(await ended, syncErr).toBe(0);
    holder.stdin.end();
    await new Promise((r) => holder.on('close', r));

    expect(failures).toEqual([]);
    // The sync ran long enough for many queries to be answered during it (at this budget: dozens).
    expect(during).toBeGreaterThan(10);
    expect(held).not.toMatch(/failed/);
    expect(held).toMatch(/closed/);
    const after = await runCli(CONVERSAS_BIN, [
      'query',
      "SELECT max(version) AS v FROM _conversas.versions WHERE table_name = 'contacts'",
      '--db',
      db,
    ]);
    expect(after.stdout.trim()).toBe('{"v":2}');
    // Rows at rest are their owner's only.
    const layout = layoutOf(db);
    for (const path of [layout.db, layout.read]) expect(statSync(path).mode & 0o777).toBe(0o600);
    for (const path of [layout.parquet, layout.staging]) expect(statSync(path).mode & 0o777).toBe(0o700);
    const tables = (await runCli(CONVERSAS_BIN, ['tables', '--format', 'json', '--db', db])).stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { table: string; parquet: string; kind: string });
    expect(tables.map((t) => t.table)).toEqual(expect.arrayContaining(['contacts', 'messages']));
    // The service layer's views have no files of their own: they read the tables'.
    for (const t of tables.filter((t) => t.kind === 'table'))
      expect(statSync(join(t.parquet, 'data.parquet')).mode & 0o777).toBe(0o600);
  }, 180_000);
});
