/**
 * A source synced every day: day 1 a full pass, day 2 incremental (merged into the tables), and the catalog
 * then equals a fresh full sync except for the message outside any attendance, which the next full pass (due
 * once the last one is a week old) brings in.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log.js';
import { CatalogReader } from '../../src/catalog/reader.js';
import { validateConfig } from '../../src/config.js';
import { parseSource, replicationMethods, selectedStreams, type Source } from '../../src/pipeline/source.js';
import { parseState, withoutProgress } from '../../src/singer/state.js';
import { estimatePlan } from '../../src/tap/estimate.js';
import { runPipeline } from '../../src/pipeline/sync.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { STREAMS } from '../../src/streams/index.js';
import {
  CONVERSAS_BIN,
  DAY,
  dayOf,
  expectNoSecrets,
  queryCatalog,
  runCli,
  sandboxOverrides,
} from '../helpers.js';

const CONTACTS = 120;
let sb: Sandbox;
let dir: string;
let start: string;

beforeAll(async () => {
  sb = await startSandbox({
    world: { seed: 63, contacts: CONTACTS, reports: 220, reportDays: 200, meanMessages: 5 },
    requestsPerMinute: 0,
  });
  dir = mkdtempSync(join(tmpdir(), 'conversas-incremental-'));
  start = dayOf(sb.world.now - 100 * DAY);
});
afterAll(() => sb.close());

const SELECTED = ['contacts', 'messages', 'reports'];
const source = (incremental: boolean): Source =>
  parseSource({
    name: 'daily',
    streams: Object.fromEntries(
      STREAMS.map((s) => [
        s.name,
        SELECTED.includes(s.name)
          ? { sync: incremental && s.name !== 'contacts' ? 'incremental' : 'full_table' }
          : { selected: false },
      ]),
    ),
  });

const sync = (db: string, incremental = true) =>
  runPipeline({
    source: source(incremental),
    db: join(dir, db),
    log: silentLogger,
    overrides: sandboxOverrides(sb, start, dayOf(sb.world.now)),
    now: () => new Date(sb.world.now),
  });

/** A table's rows, in a stable order, as JSON (what an analyst would query). */
const rowsOf = async (db: string, table: string, key: string) =>
  (await queryCatalog(join(dir, db), `SELECT * FROM raw.${table} ORDER BY ${key}`)).map((r) =>
    JSON.stringify(r, (_, v: unknown) => (typeof v === 'bigint' ? String(v) : v)),
  );

describe('a daily source', () => {
  it('merges the incremental day into the tables; equals a full sync but for bot-only messages until the next full pass', async () => {
    const w = sb.world;
    const indices = Array.from({ length: CONTACTS }, (_, i) => i);
    const open = indices.find((i) => {
      const r = w.openAttendanceOf(i);
      return r !== undefined && w.now - Date.parse(String(r['created_at'])) > 5 * DAY;
    })!;
    const outside = indices.find((i) => !w.openAttendanceOf(i) && w.timeline.kindOf(i, false) === 'outside')!;
    const day1 = await sync('daily.duckdb');
    expect(day1.tap.requests).toBeGreaterThan(CONTACTS);

    w.advance(1, 0.02, [open, outside]);
    const day2 = await sync('daily.duckdb');
    expect(day2.tap.requests).toBeLessThan(day1.tap.requests / 2);
    const versions = await queryCatalog(
      join(dir, 'daily.duckdb'),
      `SELECT table_name, version, mode FROM _conversas.versions WHERE status = 'current' ORDER BY table_name`,
    );
    expect(versions.map((v) => [v['table_name'], Number(v['version']), v['mode']])).toEqual([
      ['contacts', 2, 'full'],
      ['messages', 2, 'merge'],
      ['reports', 2, 'merge'],
    ]);

    await sync('fresh.duckdb', false);
    const incremental = await rowsOf('daily.duckdb', 'messages', 'message_key');
    const full = await rowsOf('fresh.duckdb', 'messages', 'message_key');
    const outsideId = w.contactId(outside);
    const missing = full.filter((row) => !incremental.includes(row));
    // What the incremental day missed is the bot-only activity outside any attendance, and only that.
    const fresh = w.expectedMessages(outside, { from: w.now - DAY, to: w.now });
    expect(fresh.length).toBeGreaterThan(0);
    expect(missing).toHaveLength(fresh.length);
    for (const row of missing) expect(JSON.parse(row)['customer_id']).toBe(outsideId);
    expect(incremental.filter((row) => !full.includes(row))).toEqual([]);
    // The still-open attendance's counters and the new attendances are in the merged reports.
    expect(await rowsOf('daily.duckdb', 'reports', 'id')).toEqual(
      await rowsOf('fresh.duckdb', 'reports', 'id'),
    );

    // A week after day 1 the full pass is due: it brings the bot-only messages and replaces the tables.
    w.advance(6, 0);
    await sync('daily.duckdb');
    await sync('fresh.duckdb', false);
    expect(await rowsOf('daily.duckdb', 'messages', 'message_key')).toEqual(
      await rowsOf('fresh.duckdb', 'messages', 'message_key'),
    );
    const [latest] = await queryCatalog(
      join(dir, 'daily.duckdb'),
      `SELECT mode FROM _conversas.versions WHERE status = 'current' AND table_name = 'messages'`,
    );
    expect(latest!['mode']).toBe('full');
  });

  it('a full pass when asked (--full) or when full_sync_schedule fired; plan estimates both kinds of run', async () => {
    const w = sb.world;
    const db = 'forced.duckdb';
    const modeOf = async () =>
      (
        await queryCatalog(
          join(dir, db),
          `SELECT mode FROM _conversas.versions WHERE status = 'current' AND table_name = 'messages'`,
        )
      )[0]!['mode'];
    const overrides = () => sandboxOverrides(sb, start, dayOf(w.now));
    const run = (src: Source, full = false) =>
      runPipeline({
        source: src,
        db: join(dir, db),
        log: silentLogger,
        overrides: overrides(),
        now: () => new Date(w.now),
        full,
      });
    const estimate = async (src: Source) => {
      const store = await CatalogReader.open(join(dir, db));
      const state = withoutProgress(parseState((await store.loadState(src.name))?.value));
      await store.close();
      const config = validateConfig({ ...src.config, ...overrides() });
      return estimatePlan({
        config,
        selected: selectedStreams(src, config),
        state,
        methods: replicationMethods(src),
        full: false,
        now: w.now,
      });
    };

    const first = await run(source(true));
    // At least one contact with news in an attendance (so there are rows to merge).
    const active = Array.from({ length: CONTACTS }, (_, i) => i).find(
      (i) =>
        !w.openAttendanceOf(i) && w.timeline.kindOf(i, false) === 'attendance' && !w.variant(i).rotatedKey,
    )!;
    w.advance(1, 0.03, [active]);
    const plan = await estimate(source(true));
    expect(plan.next).toBe('incremental');
    expect(plan.spent).toBeLessThanOrEqual(5);
    const second = await run(source(true));
    expect(await modeOf()).toBe('merge');
    // The full pass's estimate is within 15% of what one took; the incremental one errs on the safe side.
    expect(Math.abs(plan.full - first.tap.requests) / first.tap.requests).toBeLessThan(0.15);
    expect(plan.incremental).toBeGreaterThanOrEqual(second.tap.requests);
    // An upper bound: the listings' counts, before the run skips what settled before the last one.
    expect(plan.incremental).toBeLessThan(plan.full / 2);

    await run(source(true), true);
    expect(await modeOf()).toBe('full');

    // Every minute: a quarter of an hour after the last full pass, the schedule has fired; right after it, not.
    const lastFull = async () => {
      const store = await CatalogReader.open(join(dir, db));
      const state = parseState((await store.loadState('daily'))?.value);
      await store.close();
      return state.bookmarks['messages']?.last_full_sync_at;
    };
    const scheduled = { ...source(true), full_sync_schedule: '* * * * *' };
    w.advance(0.01, 0);
    await run(scheduled);
    expect(await lastFull()).toBe(new Date(w.now).toISOString());
    const before = w.now;
    w.advance(0.0003, 0); // 26 s: the schedule has not fired again
    await run(scheduled);
    expect(await lastFull()).toBe(new Date(before).toISOString());
  });

  it('refuses a sync type it cannot honour, in one line', () => {
    expect(() => parseSource({ streams: { messages: { sync: 'sometimes' } } })).toThrow(
      'streams.messages.sync must be "incremental" or "full_table"',
    );
    const history = parseSource({ streams: { messages_history: { sync: 'incremental' } } });
    expect(() => selectedStreams(history, validateConfig({ access_token: 'x' }))).toThrow(
      /streams.messages_history.sync: messages_history is full_table only \(a record is a page of history/,
    );
    expect(() => parseSource({ full_sync_schedule: 'often' })).toThrow(
      /schedule "often" is not a valid cron/,
    );
  });

  it('conversas plan prints both estimates and what the next run is, without a secret', async () => {
    const file = join(dir, 'daily.json');
    writeFileSync(
      file,
      JSON.stringify({
        name: 'daily',
        config: sandboxOverrides(sb, start, dayOf(sb.world.now)),
        streams: { messages: { sync: 'incremental' }, messages_history: { selected: false } },
      }),
    );
    const res = await runCli(CONVERSAS_BIN, ['plan', '--source', file, '--db', join(dir, 'daily.duckdb')]);
    expect(res.code).toBe(0);
    // A few hundred requests at a million a minute take well under a second, and say so.
    expect(res.stdout).toMatch(/^full pass: +≈ [\d,]+ requests ≈ < 1 s at 1000000\/min$/m);
    expect(res.stdout).toMatch(/^incremental: ≈ [\d,]+ requests/m);
    expect(res.stdout).toMatch(/^next run: +(incremental|full pass)$/m);
    // The plan the sync would run, a line per stream with its mode and why.
    expect(res.stdout).toMatch(
      /^ {2}messages: (incremental from \S+ \(the last run's end less lookback_days 3\)|full pass \(.+\))$/m,
    );
    expectNoSecrets(sb, res.stdout, res.stderr);

    // Left selected, messages_history makes every run a full pass: one WARN line with the fix.
    writeFileSync(
      file,
      JSON.stringify({
        name: 'daily',
        config: sandboxOverrides(sb, start, dayOf(sb.world.now)),
        streams: { messages: { sync: 'incremental' }, messages_history: { selected: true } },
      }),
    );
    const warned = await runCli(CONVERSAS_BIN, ['plan', '--source', file, '--db', join(dir, 'daily.duckdb')]);
    expect(warned.code, warned.stderr).toBe(0);
    expect(warned.stdout).toMatch(/^ {2}messages: full pass \(.+\)$/m);
    expect(warned.stderr).toMatch(
      /WARN messages is set to incremental but every run is a full pass: messages_history is selected and can only be read in full with it; deselect messages_history to sync messages incrementally/,
    );
  });
});
