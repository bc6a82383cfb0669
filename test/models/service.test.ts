/**
 * The service layer against the sandbox's ground truth: after a full sync, an incremental day merged into the
 * tables and a full pass, every row of `attendances`, `conversation_days` and `contacts_activity` equals what the test oracle
 * computes from the world (metrics-oracle.ts), in the source's time zone.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CatalogStore } from '../../src/catalog/store.js';
import { silentLogger } from '../../src/log.js';
import { parseSource } from '../../src/pipeline/source.js';
import { runPipeline } from '../../src/pipeline/sync.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { dayWindow } from '../oracle.js';
import { catalogAttendances, catalogContacts, catalogDays, keyOf, rounded } from './views.js';
import { DAY, dayOf, onlyStreams, queryCatalog, sandboxOverrides } from '../helpers.js';
import {
  dayIn,
  quantile,
  truthAttendances,
  truthDays,
  truthContacts,
  truthMessages,
  type TruthAttendance,
  type TruthDay,
} from './metrics-oracle.js';

const ZONE = 'America/Sao_Paulo';
const CONTACTS = 40;
let sb: Sandbox;
let dir: string;
let start: string;

beforeAll(async () => {
  // The world's present lies days in the past, so that every message is older than the views' now().
  const today = Math.floor(Date.now() / DAY) * DAY;
  sb = await startSandbox({
    world: {
      seed: 25,
      contacts: CONTACTS,
      reports: 150,
      reportDays: 60,
      meanMessages: 10,
      historyDays: 60,
      now: new Date(today - 6 * DAY),
    },
    requestsPerMinute: 0,
  });
  dir = mkdtempSync(join(tmpdir(), 'conversas-models-'));
  start = dayOf(sb.world.now - 70 * DAY);
});
afterAll(() => sb.close());

const sourceFile = (extra: Record<string, unknown> = {}) => ({
  name: 'metrics',
  timezone: ZONE,
  streams: {
    ...onlyStreams('contacts', 'messages', 'reports'),
    messages: { sync: 'incremental' },
    reports: { sync: 'incremental' },
  },
  ...extra,
});
const source = (extra: Record<string, unknown> = {}) => parseSource(sourceFile(extra));

const db = () => join(dir, 'metrics.duckdb');
/** A sync of the source file with `extra` over it into `file`, its warnings kept in `warnings`. */
const syncAs = (file: string, extra: Record<string, unknown>, warnings: string[] = [], full = false) =>
  runPipeline({
    source: source(extra),
    db: file,
    log: { ...silentLogger, warn: (m: string) => void warnings.push(m) },
    overrides: sandboxOverrides(sb, start, dayOf(sb.world.now)),
    now: () => new Date(sb.world.now),
    full,
  });
const sync = (extra: Record<string, unknown> = {}, full = false) => syncAs(db(), extra, [], full);

/** Report id → protocol, as the world made them. */
const protocols = new Map<string, string>();
/** Compares every row of both views with the oracle; returns the oracle's attendances for coverage checks. */
async function expectViewsMatchTruth(
  file = db(),
  zone = ZONE,
): Promise<{
  truth: TruthAttendance[];
  messages: number;
  /** Messages whose day in the source's time zone is not their UTC day, in an attendance or not. */
  late: { inside: number; outside: number };
}> {
  const ids = new Set((await queryCatalog(file, `SELECT id FROM raw.reports`)).map((r) => String(r['id'])));
  const reports = sb.world.reports().filter((r) => ids.has(String(r['id'])));
  // The catalog holds the world's reports of the window and nothing else.
  expect(reports.length).toBe(ids.size);
  expect(reports.length).toBe(sb.world.reportsBetween(start, dayOf(sb.world.now)).length);
  const messages = truthMessages(sb.world, dayWindow(start, dayOf(sb.world.now)));
  const now = Date.now();
  const truth = truthAttendances(reports, messages, now);
  for (const r of reports) protocols.set(String(r['id']), String(r['protocol']));

  const strip = ({ operatorSystemEventAfterContact: _, ...a }: TruthAttendance) => a;
  const seen = await catalogAttendances(file);
  expect(seen.map(strip)).toEqual([...truth].sort((a, b) => (a.id < b.id ? -1 : 1)).map(strip));

  const days = truthDays(truth, messages, zone, now);
  const byKey = (list: TruthDay[]) => new Map(list.map((d) => [keyOf(d), rounded(d)]));
  const got = byKey(await catalogDays(file));
  const want = byKey(days);
  expect([...got.keys()].sort()).toEqual([...want.keys()].sort());
  for (const [key, row] of want) expect(got.get(key), key).toEqual(row);

  expect(await catalogContacts(file)).toEqual(
    truthContacts(truth, messages).sort((a, b) => (a.contact_id < b.contact_id ? -1 : 1)),
  );
  const local = dayIn(zone);
  const late = { inside: 0, outside: 0 };
  for (const [contact, list] of messages)
    for (const m of list) {
      if (m.system || local(m.at) === new Date(m.at).toISOString().slice(0, 10)) continue;
      const owned = truth.some(
        (a) => a.contact_id === contact && m.at >= a.opened_at && m.at <= (a.closed_at ?? now),
      );
      late[owned ? 'inside' : 'outside'] += 1;
    }
  return { truth, messages: [...messages.values()].reduce((n, l) => n + l.length, 0), late };
}

/** The README's three questions, as written there, answer what the oracle says. */
async function readmeQueriesAgree(truth: TruthAttendance[]): Promise<void> {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const sql = (title: string) =>
    readme
      .split(`-- ${title}`)[1]!
      .split('\n')
      .slice(1)
      .join('\n')
      .split(/\n--|\n```/)[0]!;

  const speed = await queryCatalog(db(), sql('how fast does each operator answer'));
  const answered = truth.filter((a) => a.first_response_seconds !== null);
  expect(speed.length).toBeGreaterThan(0);
  for (const row of speed) {
    const mine = answered.filter((a) => a.operator === (row['operator'] ?? null));
    expect(Number(row['answered']), String(row['operator'])).toBe(mine.length);
    const median = quantile(
      mine.map((a) => a.first_response_seconds!),
      0.5,
    )!;
    expect(Number(row['median_minutes'])).toBeCloseTo(Math.round((median / 60) * 10) / 10, 5);
  }
  expect(speed.reduce((n, r) => n + Number(r['answered']), 0)).toBe(answered.length);

  // The world's present is days ago: its last 30 days reach into the window.
  const daily = await queryCatalog(db(), sql('how much comes in each day, on which channel (last 30 days)'));
  const local = dayIn(ZONE);
  // current_date is DuckDB's (its session's time zone), as the query sees it.
  const [current] = await queryCatalog(db(), `SELECT (current_date - 29)::VARCHAR AS since`);
  const recent = truth.filter((a) => local(a.opened_at) >= String(current!['since']));
  expect(recent.length).toBeGreaterThan(0);
  expect(daily.reduce((n, r) => n + Number(r['opened']), 0)).toBe(recent.length);

  const waiting = await queryCatalog(db(), sql('who is still waiting for a first answer'));
  const expected = truth.filter(
    (a) => a.closed_at === null && a.messages_from_contact > 0 && a.first_operator_reply_at === null,
  );
  expect(expected.length).toBeGreaterThan(0);
  expect(waiting.map((r) => String(r['protocol'])).sort()).toEqual(
    expected.map((a) => protocols.get(a.id)!).sort(),
  );
}

describe('the service layer', () => {
  it('equals the ground truth after a full sync, an incremental day merged in, and a full pass', async () => {
    const w = sb.world;
    await sync();
    const first = await expectViewsMatchTruth();
    const local = dayIn(ZONE);
    const utc = (at: number) => new Date(at).toISOString().slice(0, 10);
    // What the comparison covered: each case the definitions single out is in the data.
    const t = first.truth;
    expect(t.some((a) => a.messages_from_bot > 0)).toBe(true);
    expect(t.some((a) => a.closed_at === null && a.messages_from_contact > 0)).toBe(true);
    expect(t.some((a) => a.messages_from_contact > 0 && a.first_operator_reply_at === null)).toBe(true);
    expect(t.some((a) => a.first_response_seconds !== null)).toBe(true);
    expect(t.some((a) => local(a.opened_at) !== utc(a.opened_at))).toBe(true);
    // Messages of the small hours (UTC) that count for the day before in São Paulo, inside attendances too.
    expect(first.late.outside).toBeGreaterThan(0);
    expect(first.late.inside).toBeGreaterThan(0);

    // A day passes: new attendances (some answered first by a transfer notice sent as the operator's), open
    // ones that grow; no bot-only activity outside attendances, which an incremental run leaves to the next
    // full pass.
    const active = Array.from({ length: CONTACTS }, (_, i) => i).filter(
      (i) => w.timeline.kindOf(i, w.openAttendanceOf(i) !== undefined) !== 'outside',
    );
    w.advance(1, 0, active);
    await sync();
    const versions = await queryCatalog(
      db(),
      `SELECT table_name, mode FROM _conversas.versions WHERE status = 'current' AND table_name IN ('messages', 'reports') ORDER BY 1`,
    );
    expect(versions.map((v) => v['mode'])).toEqual(['merge', 'merge']);
    const second = await expectViewsMatchTruth();
    expect(second.messages).toBeGreaterThan(first.messages);
    expect(second.truth.some((a) => a.operatorSystemEventAfterContact)).toBe(true);
    expect(
      second.truth.some((a) => a.operatorSystemEventAfterContact && a.first_operator_reply_at === null),
    ).toBe(true);

    await readmeQueriesAgree(second.truth);

    await sync({}, true);
    const [mode] = await queryCatalog(
      db(),
      `SELECT mode FROM _conversas.versions WHERE status = 'current' AND table_name = 'messages'`,
    );
    expect(mode!['mode']).toBe('full');
    await expectViewsMatchTruth();
  });

  it('lands in models_layer; false removes the views; contacts_activity counts what attendances count', async () => {
    await sync({ models_layer: 'kpi' });
    const views = async () =>
      (
        await queryCatalog(
          db(),
          `SELECT schema_name || '.' || view_name AS v FROM duckdb_views() WHERE NOT internal ORDER BY 1`,
        )
      )
        .map((r) => String(r['v']))
        .filter((v) => !v.startsWith('raw.') && !v.startsWith('_conversas'));
    expect(await views()).toEqual(['kpi.attendances', 'kpi.contacts_activity', 'kpi.conversation_days']);
    const [check] = await queryCatalog(
      db(),
      `SELECT count(*) FILTER (WHERE c.attendances IS DISTINCT FROM a.n)::INT AS wrong, count(*)::INT AS n
       FROM kpi.contacts_activity c
       FULL JOIN (SELECT contact_id, count(*) AS n FROM kpi.attendances WHERE contact_id IS NOT NULL GROUP BY 1) a USING (contact_id)
       WHERE a.n IS NOT NULL`,
    );
    expect(check!['n']).toBeGreaterThan(0);
    expect(check!['wrong']).toBe(0);
    await sync({ models_layer: false });
    expect(await views()).toEqual([]);

    // A source removed takes its views with its tables.
    await sync();
    expect(await views()).toEqual([
      'service.attendances',
      'service.contacts_activity',
      'service.conversation_days',
    ]);
    await CatalogStore.dropSource(db(), 'metrics');
    expect(await views()).toEqual([]);
    expect(await queryCatalog(db(), `SELECT count(*)::INT AS n FROM _conversas.models`)).toEqual([{ n: 0 }]);
  });

  it('counts days in a zone with daylight saving time, across the night its clocks went back', async () => {
    const zone = 'America/New_York';
    const offset = (at: number) =>
      new Intl.DateTimeFormat('en-US', { timeZone: zone, timeZoneName: 'shortOffset' })
        .formatToParts(at)
        .find((p) => p.type === 'timeZoneName')!.value;
    // The window holds both offsets (in 2026 the clocks went back on November 1).
    expect(offset(Date.parse(`${start}T12:00:00Z`))).not.toBe(offset(sb.world.now));
    const file = join(dir, 'new-york.duckdb');
    await syncAs(file, { timezone: zone });
    await expectViewsMatchTruth(file, zone);
  });

  it("leaves another source's views alone, and says so, when two sources would make the same names", async () => {
    const shared = join(dir, 'shared.duckdb');
    const run = (name: string, layer: string, warnings: string[] = []) =>
      syncAs(shared, { name, layer }, warnings);
    await run('first', 'raw');
    const warnings: string[] = [];
    await run('second', 'raw_b', warnings);
    expect(warnings.join('\n')).toContain(
      'the service layer is not made: service.attendances (a view of source "first"), service.conversation_days (a view of source "first"), service.contacts_activity (a view of source "first") already',
    );
    const owners = () => queryCatalog(shared, `SELECT DISTINCT source FROM _conversas.models`);
    expect(await owners()).toEqual([{ source: 'first' }]);
    // The first source's views still read its own tables.
    const [gap] = await queryCatalog(
      shared,
      `SELECT (SELECT count(*) FROM service.attendances) - (SELECT count(*) FROM raw.reports) AS gap`,
    );
    expect(Number(gap!['gap'])).toBe(0);

    // The demo's views (conversas sync --sandbox) give way to a real source's, and never take a real one's.
    const demo = join(dir, 'demo.duckdb');
    const into = (name: string, layer: string, warnings: string[] = []) =>
      syncAs(demo, { name, layer }, warnings);
    await into('sandbox', 'raw_demo');
    const taking: string[] = [];
    await into('real', 'raw', taking);
    expect(taking.filter((w) => /service layer/.test(w))).toEqual([]);
    const demoOwners = await queryCatalog(demo, `SELECT DISTINCT source FROM _conversas.models`);
    expect(demoOwners).toEqual([{ source: 'real' }]);
    const giving: string[] = [];
    await into('sandbox', 'raw_demo', giving);
    expect(giving.join('\n')).toContain('a view of source "real"');
  });

  it("is not made, saying why, where its layer has the catalog file's own name", async () => {
    const warnings: string[] = [];
    const clashing = join(dir, 'service.duckdb');
    await syncAs(clashing, {}, warnings);
    expect(warnings.join('\n')).toContain(
      'the service layer is not made: its SQL names the layer "service", which is also the catalog\'s own name (service.duckdb)',
    );
    // The sync itself went through.
    expect(await queryCatalog(clashing, `SELECT count(*)::INT AS n FROM raw.reports`)).toEqual([
      { n: expect.any(Number) as number },
    ]);
    const made = await queryCatalog(clashing, `SELECT count(*)::INT AS n FROM _conversas.models`);
    expect(made[0]!['n']).toBe(0);
  });
});
