/** From the sandbox to DuckDB: completeness, nested fields, versions, atomicity, retention, naming. */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { layoutOf } from '../../src/catalog/layout.js';
import { CatalogReader } from '../../src/catalog/reader.js';
import { silentLogger } from '../../src/log.js';
import { parseSource } from '../../src/pipeline/source.js';
import { runPipeline } from '../../src/pipeline/sync.js';
import { STREAMS } from '../../src/streams/index.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import {
  CONVERSAS_BIN,
  DAY,
  dayOf,
  expectNoSecrets,
  queryCatalog,
  queryStaging,
  runCli,
  sandboxOverrides,
  TAP_BIN,
} from '../helpers.js';
import { groundTruth, dayWindow } from '../oracle.js';

let sb: Sandbox;
let dir: string;
let start: string;
let end: string;
const overrides = () => sandboxOverrides(sb, start, end);
const dbPath = (name: string) => join(dir, `${name}.duckdb`);
const query = queryCatalog;
const count = async (db: string, table: string) =>
  Number((await query(db, `SELECT count(*) AS n FROM ${table}`))[0]!['n']);

beforeAll(async () => {
  sb = await startSandbox({ world: { seed: 31, contacts: 45, reports: 120 }, requestsPerMinute: 0 });
  dir = mkdtempSync(join(tmpdir(), 'conversas-catalog-'));
  start = dayOf(sb.world.now - 60 * DAY);
  end = dayOf(sb.world.now - DAY);
});
afterAll(() => sb.close());

describe('sync into the catalog', () => {
  it('fills every table with exactly the ground truth, nested fields queryable, versions kept', async () => {
    const db = dbPath('e2e');
    const source = parseSource({ description: 'teste' });
    const first = await runPipeline({ source, db, log: silentLogger, overrides: overrides() });
    const truth = groundTruth(sb.world, {
      history: dayWindow(start, end),
      reportsFrom: start,
      reportsTo: end,
      decrypted: true,
    });
    expect(first.tables).toHaveLength(STREAMS.length);
    expect(truth.records['messages']).toBeGreaterThan(0);
    for (const [stream, n] of Object.entries(truth.records))
      expect(await count(db, `raw.${stream}`), stream).toBe(n);

    const cities = await query(
      db,
      `SELECT address.city AS city, full_name FROM raw.contacts WHERE _id = '${sb.world.contactId(3)}'`,
    );
    expect(cities[0]).toEqual({
      city: (sb.world.contact(3)['address'] as { city: string }).city,
      full_name: sb.world.contact(3)['full_name'],
    });
    const customer = await query(
      db,
      `SELECT customer.full_name AS name FROM raw.reports WHERE customer IS NOT NULL LIMIT 1`,
    );
    expect(typeof customer[0]!['name']).toBe('string');
    // The README's SQL on messages runs, and says what the ground truth says.
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const sql = (title: string) =>
      readme.split(`-- ${title}`)[1]!.split('\n').slice(1).join('\n').split(/\n--/)[0]!;
    const perDay = await query(db, sql('messages per day and sender'));
    expect(perDay.reduce((n, r) => n + Number(r['messages']), 0)).toBe(truth.records['messages']);
    expect(new Set(perDay.map((r) => r['sent_by']))).toEqual(new Set(['customer', 'operator', 'bot']));
    const response = await query(db, sql('median first response time per operator'));
    expect(response.length).toBeGreaterThan(1);
    expect(response.every((r) => Number(r['median_minutes']) >= 0 && Number(r['answered']) > 0)).toBe(true);
    const media = await query(db, sql('media files sent by customers, by type'));
    expect(media.map((r) => r['mimetype'])).toContain('audio/ogg');
    const history = await query(db, `SELECT data FROM raw.messages_history WHERE NOT encrypted LIMIT 1`);
    expect(Array.isArray(JSON.parse(String(history[0]!['data'])))).toBe(true);

    const second = await runPipeline({ source, db, log: silentLogger, overrides: overrides() });
    expect(second.tables.every((t) => t.version === 2)).toBe(true);
    const store = await CatalogReader.open(db);
    try {
      const versions = await store.versions('raw.contacts');
      expect(versions.map((v) => [v.version, v.status])).toEqual([
        [2, 'current'],
        [1, 'superseded'],
      ]);
      expect(await store.query(`SELECT count(*) AS n FROM ${versions[1]!.physical}`)).toEqual([{ n: '45' }]);
      const tables = await store.tables();
      expect(tables.find((t) => t.table === 'contacts')).toMatchObject({
        layer: 'raw',
        rows: 45,
        version: 2,
      });
    } finally {
      await store.close();
    }
  });

  it('a sync that fails midway (401 after some pages) leaves version 1 current and whole, then resumes', async () => {
    const db = dbPath('fail');
    const source = parseSource({});
    await runPipeline({ source, db, log: silentLogger, overrides: overrides() });
    const before = await count(db, 'raw.messages_history');
    sb.resetCounters();
    const timer = setInterval(() => {
      if (sb.count('/v2/messages/history') > 15) sb.control.tokenRevoked = true;
    }, 1);
    try {
      await expect(
        runPipeline({
          source,
          db,
          log: silentLogger,
          overrides: { ...overrides(), partition_concurrency: 2 },
        }),
      ).rejects.toThrow(/401/);
    } finally {
      clearInterval(timer);
      sb.control.tokenRevoked = false;
    }
    expect(await count(db, 'raw.messages_history')).toBe(before);
    const versions = await query(
      db,
      `SELECT version, status FROM _conversas.versions WHERE table_name = 'messages_history' ORDER BY version`,
    );
    expect(versions).toEqual([{ version: 1, status: 'current' }]);
    // The new version waits in the source's staging file, beside the catalog.
    const staged = (sql: string) => queryStaging(db, source.name, sql);
    expect(
      await staged(
        `SELECT version, status FROM _conversas.versions WHERE table_name = 'messages_history' ORDER BY version`,
      ),
    ).toEqual([{ version: 2, status: 'pending' }]);
    // No table switched: the small streams that finished wait, ready, for the end of the whole sync.
    const current = await query(
      db,
      `SELECT DISTINCT version FROM _conversas.versions WHERE status = 'current'`,
    );
    expect(current).toEqual([{ version: 1 }]);
    const ready = await staged(`SELECT count(*) AS n FROM _conversas.versions WHERE status = 'ready'`);
    expect(Number(ready[0]!['n'])).toBeGreaterThan(0);
    const resumed = await runPipeline({ source, db, log: silentLogger, overrides: overrides() });
    expect(resumed.resumed).toBe(true);
    expect(await count(db, 'raw.messages_history')).toBe(before);
    const distinct = await query(
      db,
      `SELECT count(DISTINCT customer_id || '#' || page) AS n FROM raw.messages_history`,
    );
    expect(Number(distinct[0]!['n'])).toBe(before);
    expect(resumed.tables.find((t) => t.table === 'messages_history')?.version).toBe(2);
  });

  it('removes versions superseded more than retention_days ago, at the next sync', async () => {
    const db = dbPath('retention');
    const source = parseSource({
      retention_days: 7,
      streams: Object.fromEntries(
        ['contacts', 'messages_history', 'reports'].map((s) => [s, { selected: false }]),
      ),
    });
    const at = (days: number) => () => new Date(sb.world.now + days * DAY);
    for (const day of [0, 1, 10])
      await runPipeline({ source, db, log: silentLogger, overrides: overrides(), now: at(day) });
    const store = await CatalogReader.open(db);
    try {
      const versions = await store.versions('flows');
      expect(versions.map((v) => [v.version, v.status])).toEqual([
        [3, 'current'],
        [2, 'superseded'],
      ]);
      const tables = await store.query(
        `SELECT view_name FROM duckdb_views() WHERE schema_name = '_conversas_versions' AND view_name LIKE 'raw__flows__%' ORDER BY 1`,
      );
      expect(tables.map((t) => t['view_name'])).toEqual(['raw__flows__v2', 'raw__flows__v3']);
      // The expired version's Parquet files are gone; the kept ones are there.
      const folder = (v: number) => join(layoutOf(db).parquet, 'raw', 'flows', `version=${v}`);
      expect([1, 2, 3].map((v) => existsSync(folder(v)))).toEqual([false, true, true]);
    } finally {
      await store.close();
    }
  });

  it('names tables folder + prefix + table in their layer; rejects bad names and long descriptions', async () => {
    const db = dbPath('naming');
    const source = parseSource({
      layer: 'bronze',
      folder: 'crm_',
      table_prefix: 'rdc_',
      streams: {
        flows: { table: 'fluxos' },
        wallets: { layer: 'silver', folder: '' },
        contacts: { selected: false },
        messages_history: { selected: false },
        reports: { selected: false },
      },
    });
    const result = await runPipeline({ source, db, log: silentLogger, overrides: overrides() });
    expect(result.tables.map((t) => `${t.layer}.${t.table}`).sort()).toContain('bronze.crm_rdc_fluxos');
    expect(result.tables.map((t) => `${t.layer}.${t.table}`)).toContain('silver.rdc_wallets');
    expect(await count(db, 'bronze.crm_rdc_fluxos')).toBe(sb.world.account.flows().length);
    expect(() => parseSource({ table_prefix: 'rd-c' })).toThrow(/not a valid name/);
    expect(() => parseSource({ layer: '1raw' })).toThrow(/not a valid name/);
    expect(() => parseSource({ description: 'x'.repeat(141) })).toThrow(/141 characters; at most 140/);
    expect(() => parseSource({ schedule: 'every day' })).toThrow(/not a valid cron expression/);
    // Any stream name parses (load takes other taps' streams); sync checks them against this tap's.
    const unknown = parseSource({ streams: { contatos: {} } });
    await expect(
      runPipeline({ source: unknown, db, log: silentLogger, overrides: overrides() }),
    ).rejects.toThrow(/streams\.contatos: no such stream/);
  });
});

describe('conversas load', () => {
  it('loads a file of Singer messages the tap wrote, and echoes the committed STATE', async () => {
    const config = join(dir, 'tap.json');
    writeFileSync(config, JSON.stringify(overrides()));
    const tap = await runCli(TAP_BIN, ['--config', config]);
    expect(tap.code, tap.stderr).toBe(0);
    const db = dbPath('load');
    const load = await runCli(
      CONVERSAS_BIN,
      ['load', '--db', db, '--layer', 'landing', '--prefix', 'rd_'],
      {},
      tap.stdout,
    );
    expect(load.code, load.stderr).toBe(0);
    expect(load.stdout.trim().split('\n').at(-1)).toBe('{"bookmarks":{},"currently_syncing":null}');
    expect(await count(db, 'landing.rd_contacts')).toBe(45);
    const truth = groundTruth(sb.world, {
      history: dayWindow(start, end),
      reportsFrom: start,
      reportsTo: end,
    });
    expect(await count(db, 'landing.rd_messages_history')).toBe(truth.records['messages_history']);
    const tables = await runCli(CONVERSAS_BIN, ['tables', '--db', db]);
    expect(tables.stdout).toMatch(/landing\s+rd_contacts\s+contacts\s+45\s+1/);
    const versions = await runCli(CONVERSAS_BIN, ['versions', 'rd_contacts', '--db', db]);
    expect(versions.stdout).toMatch(/landing\s+rd_contacts\s+1\s+current\s+full\s+45/);
    expectNoSecrets(sb, tap.stdout, tap.stderr, load.stdout, load.stderr, tables.stdout);
  });

  it('keeps fields the schema does not list, and rejects input that is not Singer', async () => {
    const db = dbPath('extra');
    const lines = [
      {
        type: 'SCHEMA',
        stream: 'things',
        schema: {
          type: 'object',
          properties: {
            id: { type: 'integer' },
            info: { type: 'object', properties: { a: { type: 'string' } } },
          },
        },
        key_properties: ['id'],
      },
      { type: 'RECORD', stream: 'things', record: { id: 1, info: { a: 'x', b: 2 }, surprise: [1, 2] } },
      { type: 'RECORD', stream: 'things', record: { id: 'two' } },
      // Field names are data: `__proto__` is kept like any other (written as JSON text on purpose).
      JSON.parse(
        '{"type":"RECORD","stream":"things","record":{"id":3,"__proto__":{"polluted":true}}}',
      ) as object,
      {
        type: 'SCHEMA',
        stream: 'public-users',
        schema: { type: 'object', properties: { id: { type: 'integer' } } },
        key_properties: ['id'],
      },
      { type: 'RECORD', stream: 'public-users', record: { id: 7 } },
    ]
      .map((m) => JSON.stringify(m))
      .join('\n');
    const res = await runCli(CONVERSAS_BIN, ['load', '--db', db], {}, lines + '\n');
    expect(res.code, res.stderr).toBe(0);
    const rows = await query(
      db,
      `SELECT id, info.a AS a, _extra::VARCHAR AS extra FROM raw.things ORDER BY id NULLS LAST`,
    );
    expect(rows).toEqual([
      { id: '1', a: 'x', extra: '{"info":{"b":2},"surprise":[1,2]}' },
      { id: '3', a: null, extra: '{"__proto__":{"polluted":true}}' },
      { id: null, a: null, extra: '{"id":"two"}' },
    ]);
    expect(await count(db, 'raw.public_users')).toBe(1);
    const bad = await runCli(CONVERSAS_BIN, ['load', '--db', dbPath('bad')], {}, 'INFO hello\n');
    expect(bad.code).toBe(1);
    expect(bad.stderr.trim()).toBe(
      "conversas: input line 1 is not JSON (is something other than Singer messages on the tap's stdout?)",
    );
  });

  it("renames another tap's stream through --source (stream names are checked only by sync)", async () => {
    const db = dbPath('other-tap');
    const sourceFile = join(dir, 'other-tap.json');
    writeFileSync(
      sourceFile,
      JSON.stringify({ layer: 'crm', streams: { users: { table: 'pessoas' }, audit: { selected: false } } }),
    );
    const schema = { type: 'object', properties: { id: { type: 'integer' } } };
    const lines = [
      { type: 'SCHEMA', stream: 'users', schema, key_properties: ['id'] },
      { type: 'RECORD', stream: 'users', record: { id: 1 } },
      { type: 'RECORD', stream: 'users', record: { id: 2 } },
      { type: 'SCHEMA', stream: 'audit', schema, key_properties: ['id'] },
      { type: 'RECORD', stream: 'audit', record: { id: 3 } },
    ];
    const res = await runCli(
      CONVERSAS_BIN,
      ['load', '--db', db, '--source', sourceFile],
      {},
      lines.map((m) => JSON.stringify(m)).join('\n') + '\n',
    );
    expect(res.code, res.stderr).toBe(0);
    expect(await count(db, 'crm.pessoas')).toBe(2);
    const tables = await query(
      db,
      `SELECT table_name FROM information_schema.tables WHERE table_schema = 'crm'`,
    );
    expect(tables.map((t) => t['table_name'])).not.toContain('audit');
  });
});

describe('conversas sync flags', () => {
  it('names tables from --layer/--prefix and rejects a negative retention in one line', async () => {
    const db = dbPath('flags');
    const res = await runCli(CONVERSAS_BIN, [
      'sync',
      '--sandbox',
      '--contacts',
      '15',
      '--db',
      db,
      '--layer',
      'bronze',
      '--prefix',
      'rd_',
    ]);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toMatch(/bronze\s+rd_contacts\s+15\s+1/);
    expect(res.stdout).toMatch(/sync done in .* requests/);
    const bad = await runCli(CONVERSAS_BIN, ['sync', '--sandbox', '--db', db, '--retention-days', '-1']);
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim()).toBe('conversas: --retention-days must be a number of days ≥ 0');
  });
});
