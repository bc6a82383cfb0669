/**
 * Incremental syncs killed with SIGKILL and resumed, day after day, against the sandbox in time: the catalog
 * ends equal to a fresh full sync of the same world (but for the bot-only messages a full pass brings), with
 * no version left pending and bookmarks where a run without a kill leaves them. The world lives in the past
 * (ten days ago onwards) and each day's run reads up to the world's present (end_date is its eve), so the
 * tap's clock and the world's agree.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log.js';
import { parseSource } from '../../src/pipeline/source.js';
import { runPipeline } from '../../src/pipeline/sync.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { parseState } from '../../src/singer/state.js';
import { STREAMS } from '../../src/streams/index.js';
import { CONVERSAS_BIN, DAY, dayOf, queryCatalog, runCli, sandboxOverrides } from '../helpers.js';

const CONTACTS = 120;
const SELECTED = ['contacts', 'messages', 'reports'];
let sb: Sandbox;
let dir: string;
let start: string;
let busy: number[] = [];

beforeAll(async () => {
  const today = Math.floor(Date.now() / DAY) * DAY;
  sb = await startSandbox({
    world: {
      seed: 77,
      contacts: CONTACTS,
      reports: 200,
      reportDays: 120,
      meanMessages: 4,
      now: new Date(today - 10 * DAY),
    },
    requestsPerMinute: 0,
    latencyMs: 40, // history takes a while: a kill counted in requests lands mid-read on any machine
  });
  dir = mkdtempSync(join(tmpdir(), 'incremental-resume-'));
  start = dayOf(sb.world.now - 60 * DAY);
  const w = sb.world;
  busy = Array.from({ length: CONTACTS }, (_, i) => i).filter(
    (i) => !w.openAttendanceOf(i) && w.timeline.kindOf(i, false) === 'attendance',
  );
});
afterAll(() => sb.close());

/** The source file of a day: up to the world's present (its eve as end_date), no periodic full pass. */
function sourceFile(name: string, incremental: boolean): string {
  const file = join(dir, `${name}.json`);
  writeFileSync(
    file,
    JSON.stringify({
      name,
      config: {
        ...sandboxOverrides(sb, start, dayOf(sb.world.now - DAY)),
        full_sync_every_days: 0,
        partition_concurrency: 1,
      },
      streams: Object.fromEntries(
        STREAMS.map(({ name: s }) => [
          s,
          SELECTED.includes(s)
            ? { sync: incremental && s !== 'contacts' ? 'incremental' : 'full_table' }
            : { selected: false },
        ]),
      ),
    }),
  );
  return file;
}

/**
 * `conversas sync` SIGKILLed once `reports` is whole and `after` more history requests were served (past the
 * loader's one-second STATE commit), i.e. while `messages` reads. Resolves with its stderr.
 */
function syncKilledWhileMessagesRead(file: string, db: string, after: number): Promise<string> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CONVERSAS_BIN, 'sync', '--source', file, '--db', db]);
    let stderr = '';
    let from: number | undefined;
    const watch = setInterval(() => {
      if (from !== undefined && sb.count('/v2/messages/history') >= from + after) child.kill('SIGKILL');
    }, 5);
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (from === undefined && /reports: \d+ records/.test(stderr)) from = sb.count('/v2/messages/history');
    });
    child.on('close', () => {
      clearInterval(watch);
      resolve(stderr);
    });
  });
}

const rowsOf = async (db: string, table: string, key: string) =>
  (await queryCatalog(db, `SELECT * FROM raw.${table} ORDER BY ${key}`)).map((r) =>
    JSON.stringify(r, (_, v: unknown) => (typeof v === 'bigint' ? String(v) : v)),
  );

const stateOf = async (db: string, source: string) =>
  parseState(
    JSON.parse(
      String(
        (await queryCatalog(db, `SELECT value FROM _conversas.state WHERE source = '${source}'`))[0]![
          'value'
        ],
      ),
    ),
  );

describe('an incremental sync killed every day', () => {
  it('resumes into the tables a fresh full sync makes, with no pending version and the bookmarks of a clean run', async () => {
    const w = sb.world;
    const db = join(dir, 'daily.duckdb');
    for (let day = 1; day <= 5; day++) {
      if (day > 1) w.advance(1, 0, busy.slice((day * 7) % 30, ((day * 7) % 30) + 40));
      const file = sourceFile('daily', true);
      const killed = await syncKilledWhileMessagesRead(file, db, 25);
      expect(killed, `day ${day}`).toMatch(/reports: \d+ records/);
      expect(killed, `day ${day}`).not.toMatch(/messages: \d+ records/);
      const resumed = await runCli(CONVERSAS_BIN, ['sync', '--source', file, '--db', db]);
      expect(resumed.code, resumed.stderr).toBe(0);
      expect(resumed.stderr).toMatch(/resuming the interrupted sync/);
      expect(resumed.stderr).toMatch(/resuming: .*reports.* whole before the interruption/);
      // Nothing pending or ready is left; the bookmarks are where a run without a kill leaves them.
      const left = await queryCatalog(
        db,
        `SELECT count(*) AS n FROM _conversas.versions WHERE status IN ('pending', 'ready')`,
      );
      expect(Number(left[0]!['n'])).toBe(0);
      const state = await stateOf(db, 'daily');
      for (const stream of ['messages', 'reports']) {
        const b = state.bookmarks[stream]!;
        expect(b.replication_key_value, `${stream} day ${day}`).toBe(new Date(w.now).toISOString());
        expect(b.version).toBeUndefined();
        expect(b.next).toBeUndefined();
      }
      if (day > 1) {
        const modes = await queryCatalog(
          db,
          `SELECT table_name, mode FROM _conversas.versions WHERE status = 'current' ORDER BY table_name`,
        );
        expect(modes.map((m) => [m['table_name'], m['mode']])).toEqual([
          ['contacts', 'full'],
          ['messages', 'merge'],
          ['reports', 'merge'],
        ]);
      }
    }

    // A fresh full sync of the same world.
    const freshDb = join(dir, 'fresh.duckdb');
    await runPipeline({
      source: parseSource({
        name: 'fresh',
        streams: Object.fromEntries(
          STREAMS.map(({ name: s }) => [
            s,
            SELECTED.includes(s) ? { sync: 'full_table' } : { selected: false },
          ]),
        ),
      }),
      db: freshDb,
      log: silentLogger,
      overrides: { ...sandboxOverrides(sb, start, dayOf(w.now - DAY)), full_sync_every_days: 0 },
      now: () => new Date(w.now),
    });
    expect(await rowsOf(db, 'reports', 'id')).toEqual(await rowsOf(freshDb, 'reports', 'id'));
    expect(await rowsOf(db, 'contacts', '_id')).toEqual(await rowsOf(freshDb, 'contacts', '_id'));
    const incremental = await rowsOf(db, 'messages', 'message_key');
    const full = await rowsOf(freshDb, 'messages', 'message_key');
    const inFull = new Set(full);
    expect(incremental.filter((r) => !inFull.has(r))).toEqual([]);
    // What the incremental days missed is bot-only activity outside any attendance, and only that.
    const outside = new Set(
      Array.from({ length: CONTACTS }, (_, i) => i)
        .filter((i) => w.timeline.kindOf(i, w.openAttendanceOf(i) !== undefined) === 'outside')
        .map((i) => w.contactId(i)),
    );
    const inIncremental = new Set(incremental);
    const missing = full.filter((r) => !inIncremental.has(r));
    for (const row of missing) expect(outside.has(String(JSON.parse(row)['customer_id']))).toBe(true);
    expect(full.length - missing.length).toBe(incremental.length);
    // Five days of syncs killed and resumed, each switch writing Parquet: ~35 s on idle cores, over a minute on
    // busy ones (the suite's 60 s default is too short there).
  }, 240_000);
});
