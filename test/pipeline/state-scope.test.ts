/**
 * Whose bookmarks are whose: a bookmark holds for the tables it filled and the account it read; unnamed
 * source files and `conversas load` keep state of their own; a mode switched between an interruption and its
 * resume reads again and labels the version by what was read; a sync stopped in its final switch resumes into
 * it; tampered STATE is refused or repaired, never trusted.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { CatalogStore } from '../../src/catalog/store.js';
import { InterruptedError } from '../../src/errors.js';
import { createLogger, silentLogger } from '../../src/log.js';
import { parseSource, readSource, type Source } from '../../src/pipeline/source.js';
import { runPipeline } from '../../src/pipeline/sync.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { parseState } from '../../src/singer/state.js';
import { STREAMS } from '../../src/streams/index.js';
import { CONVERSAS_BIN, DAY, dayOf, queryCatalog, runCli, sandboxOverrides } from '../helpers.js';

const CONTACTS = 60;
let sb: Sandbox;
let dir: string;
let start: string;
/** Called on every first page of history asked for (a test may stop the run from there). */
let onHistory: (() => void) | undefined;

beforeAll(async () => {
  sb = await startSandbox({
    world: { seed: 91, contacts: CONTACTS, reports: 120, reportDays: 120, meanMessages: 4 },
    requestsPerMinute: 0,
    onRequest: (path, query) => {
      if (path === '/v2/messages/history' && query.get('page') === '1') onHistory?.();
    },
  });
  dir = mkdtempSync(join(tmpdir(), 'conversas-state-scope-'));
  start = dayOf(sb.world.now - 60 * DAY);
});
afterAll(() => sb.close());

const SELECTED = ['contacts', 'messages', 'reports'];

/** Half a day with new messages in attendances of ten contacts (a different ten each time). */
let round = 0;
function activity(): void {
  const w = sb.world;
  const attending = Array.from({ length: CONTACTS }, (_, i) => i).filter(
    (i) => !w.openAttendanceOf(i) && w.timeline.kindOf(i, false) === 'attendance' && !w.variant(i).rotatedKey,
  );
  const from = (round++ * 10) % Math.max(1, attending.length - 10);
  w.advance(0.5, 0, attending.slice(from, from + 10));
}
const streamsOf = (incremental: boolean) =>
  Object.fromEntries(
    STREAMS.map(({ name }) => [
      name,
      SELECTED.includes(name)
        ? { sync: incremental && name !== 'contacts' ? 'incremental' : 'full_table' }
        : { selected: false },
    ]),
  );
const source = (name: string, incremental = true, extra: Record<string, unknown> = {}): Source =>
  parseSource({ name, streams: streamsOf(incremental), ...extra });

function sync(src: Source, db: string, o: { signal?: AbortSignal; lines?: string[] } = {}) {
  return runPipeline({
    source: src,
    db: join(dir, db),
    log: o.lines ? createLogger((l) => void o.lines!.push(l), 'info') : silentLogger,
    overrides: sandboxOverrides(sb, start, dayOf(sb.world.now)),
    now: () => new Date(sb.world.now),
    ...(o.signal ? { signal: o.signal } : {}),
  });
}

/** A sync stopped (as by SIGTERM) once `after` contacts' history has been asked for. */
async function interrupted(src: Source, db: string, after: number): Promise<void> {
  const controller = new AbortController();
  let seen = 0;
  onHistory = () => {
    if (++seen === after) controller.abort(new InterruptedError('SIGTERM'));
  };
  try {
    await expect(sync(src, db, { signal: controller.signal })).rejects.toThrow(/interrupted by SIGTERM/);
  } finally {
    onHistory = undefined;
  }
}

const count = async (db: string, table: string) =>
  Number((await queryCatalog(join(dir, db), `SELECT count(*) AS n FROM ${table}`))[0]!['n']);
const stateOf = async (db: string, name: string) =>
  parseState(
    JSON.parse(
      String(
        (
          await queryCatalog(join(dir, db), `SELECT value FROM _conversas.state WHERE source = '${name}'`)
        )[0]!['value'],
      ),
    ),
  );
const versions = async (db: string) =>
  (
    await queryCatalog(
      join(dir, db),
      `SELECT layer, table_name, status, mode FROM _conversas.versions ORDER BY layer, table_name, version`,
    )
  ).map(
    (r) => `${String(r['layer'])}.${String(r['table_name'])} ${String(r['status'])} ${String(r['mode'])}`,
  );

describe('state belongs to what it fills', () => {
  it('a layer changed after a complete run gets complete tables there (a full pass, and the log says why)', async () => {
    await sync(source('layered'), 'layer.duckdb');
    activity();
    const lines: string[] = [];
    await sync(source('layered', true, { layer: 'silver' }), 'layer.duckdb', { lines });
    expect(lines.join('')).toMatch(
      /reports: its bookmark was for table raw\.reports; a full pass fills silver\.reports/,
    );
    // The same as a fresh full sync of the same world.
    await sync(source('fresh_layer', false), 'layer-fresh.duckdb');
    expect(await count('layer.duckdb', 'silver.reports')).toBe(
      await count('layer-fresh.duckdb', 'raw.reports'),
    );
    expect(await count('layer.duckdb', 'silver.messages')).toBe(
      await count('layer-fresh.duckdb', 'raw.messages'),
    );
  });

  it('two source files without a name keep separate state; conversas load keeps its own', async () => {
    const folder = mkdtempSync(join(dir, 'unnamed-'));
    const write = (file: string, prefix: string) => {
      writeFileSync(
        join(folder, file),
        JSON.stringify({
          table_prefix: prefix,
          config: sandboxOverrides(sb, start, dayOf(sb.world.now)),
          streams: streamsOf(true),
        }),
      );
      return readSource(join(folder, file));
    };
    const a = write('shop-a.json', 'a_');
    const b = write('Shop B.json', 'b_');
    expect([a.name, b.name]).toEqual(['shop_a', 'shop_b']);
    expect(readSource(join(folder, 'shop-a.json')).name).toBe('shop_a');
    await sync(a, 'unnamed.duckdb');
    // b's first run is a full pass of its own, not an incremental run from a's bookmark.
    await sync(b, 'unnamed.duckdb');
    expect(await count('unnamed.duckdb', 'raw.b_messages')).toBe(
      await count('unnamed.duckdb', 'raw.a_messages'),
    );
    expect(
      (await stateOf('unnamed.duckdb', 'shop_b')).bookmarks['messages']?.last_full_sync_at,
    ).toBeDefined();

    // conversas load without --source saves its state under a name of its own.
    const input = [
      {
        type: 'SCHEMA',
        stream: 'things',
        schema: { type: 'object', properties: { id: { type: 'string' } } },
        key_properties: ['id'],
      },
      { type: 'RECORD', stream: 'things', record: { id: '1' } },
      { type: 'STATE', value: { bookmarks: { things: { replication_key_value: '2026-01-01T00:00:00Z' } } } },
    ]
      .map((m) => JSON.stringify(m))
      .join('\n');
    const load = await runCli(CONVERSAS_BIN, ['load', '--db', join(dir, 'unnamed.duckdb')], {}, input + '\n');
    expect(load.code, load.stderr).toBe(0);
    const sources = await queryCatalog(
      join(dir, 'unnamed.duckdb'),
      `SELECT source FROM _conversas.state ORDER BY source`,
    );
    expect(sources.map((r) => r['source'])).toEqual(['shop_a', 'shop_b', 'singer_load']);
  });
});

describe('interrupted, then changed or stopped at the switch', () => {
  it('a mode switched between an interruption and its resume reads again and labels the version by what was read', async () => {
    const db = 'switch.duckdb';
    await sync(source('switch', true), db);
    activity();
    // Stopped while a full_table run reads history, then set back to incremental: the resume starts over
    // (and says why) as an incremental run from the last complete one's bookmark; its versions are merges.
    await interrupted(source('switch', false), db, 5);
    const lines: string[] = [];
    await sync(source('switch', true), db, { lines });
    expect(lines.join('')).toMatch(/not resuming the interrupted sync \(the sync modes changed since\)/);
    const current = (await versions(db)).filter((v) => v.includes(' current '));
    expect(current).toEqual([
      'raw.contacts current full',
      'raw.messages current merge',
      'raw.reports current merge',
    ]);
    expect((await versions(db)).filter((v) => /pending|ready/.test(v))).toEqual([]);
    const state = await stateOf(db, 'switch');
    expect(state.bookmarks['messages']?.replication_key_value).toBe(new Date(sb.world.now).toISOString());

    // The other way: interrupted incremental, resumed as full_table: full versions, no incremental bookmark.
    activity();
    await interrupted(source('switch', true), db, 3);
    await sync(source('switch', false), db);
    const after = (await versions(db)).filter((v) => v.includes(' current '));
    expect(after).toEqual([
      'raw.contacts current full',
      'raw.messages current full',
      'raw.reports current full',
    ]);
    expect((await stateOf(db, 'switch')).bookmarks['messages']).toBeUndefined();
  });

  it('a sync stopped in its final switch resumes into it: nothing pending, the merge not lost', async () => {
    const db = 'final.duckdb';
    await sync(source('final'), db);
    activity();
    const rowsBefore = await count(db, 'raw.messages');
    // The switch's transaction fails (as a kill before its commit would leave it).
    const spy = vi
      .spyOn(CatalogStore.prototype, 'activateReady')
      .mockRejectedValueOnce(new Error('killed during the switch'));
    await expect(sync(source('final'), db)).rejects.toThrow(/killed during the switch/);
    spy.mockRestore();
    expect(await count(db, 'raw.messages')).toBe(rowsBefore);
    const lines: string[] = [];
    const resumed = await sync(source('final'), db, { lines });
    expect(resumed.resumed).toBe(true);
    expect(lines.join('')).toMatch(/resuming: .*messages.* whole before the interruption/);
    expect((await versions(db)).filter((v) => /pending|ready/.test(v))).toEqual([]);
    await sync(source('final_fresh', false), 'final-fresh.duckdb');
    expect(await count(db, 'raw.reports')).toBe(await count('final-fresh.duckdb', 'raw.reports'));
    expect(await count(db, 'raw.messages')).toBeGreaterThan(rowsBefore);
    expect((await stateOf(db, 'final')).bookmarks['reports']?.replication_key_value).toBe(
      new Date(sb.world.now).toISOString(),
    );
  });
});

describe('tampered STATE', () => {
  it('a version that is no table version is refused in one line naming --fresh; a bookmark in the future gets a full pass', async () => {
    const db = 'tampered.duckdb';
    await sync(source('tampered'), db);
    const edit = async (mutate: (value: { bookmarks: Record<string, Record<string, unknown>> }) => void) => {
      const store = await CatalogStore.open(join(dir, db), { source: 'tampered' });
      try {
        const saved = (await store.loadState('tampered'))!;
        const value = structuredClone(saved.value) as {
          bookmarks: Record<string, Record<string, unknown>>;
        };
        mutate(value);
        // Written as a sync writes it, through the store (no SQL of the test's own on the catalog's tables).
        await store.append([], { source: 'tampered', value, settings: saved.settings });
      } finally {
        await store.close();
      }
    };
    await edit((v) => {
      v.bookmarks['reports'] = { ...v.bookmarks['reports'], version: -1, done: true };
    });
    await expect(sync(source('tampered'), db)).rejects.toThrow(
      /state bookmark of reports: "version" must be a positive whole number \(got -1\).*--fresh/,
    );
    await edit((v) => {
      delete v.bookmarks['reports']!['version'];
      delete v.bookmarks['reports']!['done'];
      v.bookmarks['reports']!['replication_key_value'] = '2099-01-01T00:00:00.000Z';
    });
    const lines: string[] = [];
    await sync(source('tampered'), db, { lines });
    expect(lines.join('')).toMatch(
      /reports: full pass \(its bookmark \(2099-01-01T00:00:00.000Z\) is in the future/,
    );
    expect((await versions(db)).filter((v) => v.startsWith('raw.reports current'))).toEqual([
      'raw.reports current full',
    ]);
  });
});
