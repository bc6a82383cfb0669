/**
 * src/catalog/raw-rows.ts: RECORD lines DuckDB parses itself give the very rows rowLine gives, hostile values
 * included (wrong JSON types, unknown fields at every depth, impossible dates, __proto__), and a line that
 * is not JSON still ends in one clear line.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CatalogLoader } from '../../src/catalog/loader.js';
import { CatalogStore } from '../../src/catalog/store.js';
import type { SingerMessage } from '../../src/singer/messages.js';
import { rawRecord } from '../../src/singer/reader.js';
import { CONVERSAS_BIN, loadWith, queryCatalog, runCli } from '../helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'conversas-raw-'));

const SCHEMA: SingerMessage = {
  type: 'SCHEMA',
  stream: 'things',
  key_properties: ['id'],
  schema: {
    type: 'object',
    properties: {
      id: { type: 'string' },
      name: { type: ['string', 'null'] },
      n: { type: ['integer', 'null'] },
      x: { type: ['number', 'null'] },
      ok: { type: ['boolean', 'null'] },
      at: { type: ['string', 'null'], format: 'date-time' },
      tags: { type: ['array', 'null'] },
      obj: {
        type: ['object', 'null'],
        properties: {
          a: { type: ['string', 'null'] },
          b: { type: ['integer', 'null'] },
          inner: { type: ['object', 'null'], properties: { c: { type: ['boolean', 'null'] } } },
        },
      },
    },
  },
};

/** Records that fit, and records with something for `_extra` in every place it can be. */
const RECORDS: Record<string, unknown>[] = [
  { id: '1', name: 'Ana', n: 7, x: 1.5, ok: true, at: '2026-03-01T10:00:00-03:00', tags: [{ k: 1 }] },
  { id: '2', obj: { a: 'x', b: 2, inner: { c: false } }, custom_fields: { plano: 'Premium', dia: 3 } },
  { id: '3', obj: { a: 'x', zz: 1, inner: { c: true, deep: [1] } } },
  { id: '4', n: '5', x: '1.5', ok: 1 },
  { id: '5', n: 9007199254740994, x: 3, ok: 'true' },
  { id: '6', at: '2026-02-30T00:00:00Z' },
  { id: '7', at: '2026-01-01T25:00:00Z' },
  { id: '8', at: 5 },
  { id: '9', at: '2026-01-01' },
  { id: '10', obj: 'text' },
  { id: '11', obj: [1, 2] },
  { id: '12', obj: {} },
  { id: '13', obj: null, name: null, n: null },
  { id: '14', obj: { inner: 'not an object' } },
  { id: '15', name: 'aspas " barra \\ nulo \u0000 emoji 😀', tags: { not: 'an array' } },
  { id: '16', name: 12, ok: false, n: -0 },
  { id: '17', ['__proto__']: { polluted: true }, _extra: 'mine', _sdc_sequence: 99 },
  { id: '18', obj: { b: 'two' } },
  { id: '19', x: 1e308, n: 9007199254740991 },
];

/** The JSON line a tap would write; the `__proto__` key survives (JSON.parse made it an own key). */
const line = (record: Record<string, unknown>, version?: number): string =>
  JSON.stringify({ type: 'RECORD', stream: 'things', record, ...(version ? { version } : {}) });

/** The things of `write`, in version 1; says how the store made the raw lines into rows. */
function load(
  db: string,
  write: (loader: CatalogLoader) => Promise<void>,
): Promise<CatalogStore['rawLines']> {
  return loadWith(db, async (loader, store) => {
    await loader.write(SCHEMA);
    await write(loader);
    await loader.write({ type: 'ACTIVATE_VERSION', stream: 'things', version: 1 });
    return store.rawLines;
  });
}

const table = (db: string) =>
  queryCatalog(db, `SELECT * FROM raw.things ORDER BY CAST(id AS INTEGER)`).then((rows) =>
    JSON.stringify(rows),
  );

describe('RECORD lines parsed by DuckDB', () => {
  it('give the rows rowLine gives, with every misfit in _extra, and use the fast path for the lines', async () => {
    const records = RECORDS.map((r) => JSON.parse(line(r)) as { record: Record<string, unknown> });
    const parsed = join(dir, 'by-rowline.duckdb');
    await load(parsed, async (loader) => {
      for (const { record } of records)
        await loader.write({ type: 'RECORD', stream: 'things', record, version: 1 });
    });
    const raw = join(dir, 'by-duckdb.duckdb');
    const lines = await load(raw, async (loader) => {
      for (const r of RECORDS) {
        const message = rawRecord(Buffer.from(line(r, 1)));
        expect(message?.version).toBe(1);
        await loader.writeRaw(message!);
      }
    });
    expect(await table(raw)).toEqual(await table(parsed));
    // The records that fit went through DuckDB alone; the 11 with a misfit below took rowLine's path.
    expect(lines).toEqual({ parsedByDuckdb: 8, byRowLine: 11, redoneFiles: 0 });

    const rows = await queryCatalog(raw, `SELECT id, n, "at"::VARCHAR AS "at", obj, _extra FROM raw.things`);
    const byId = new Map(rows.map((r) => [r['id'], r]));
    const extra = (id: string) => JSON.parse(String(byId.get(id)!['_extra'] ?? 'null')) as unknown;
    expect(byId.get('1')!['n']).toBe('7');
    expect(extra('1')).toBeNull();
    expect(extra('2')).toEqual({ custom_fields: { plano: 'Premium', dia: 3 } });
    expect(extra('3')).toEqual({ obj: { zz: 1, inner: { deep: [1] } } });
    expect(extra('4')).toEqual({ n: '5', x: '1.5', ok: 1 });
    expect(extra('5')).toEqual({ n: 9007199254740994, ok: 'true' });
    expect(extra('6')).toEqual({ at: '2026-02-30T00:00:00Z' });
    expect(extra('7')).toEqual({ at: '2026-01-01T25:00:00Z' });
    expect(extra('10')).toEqual({ obj: 'text' });
    expect(extra('14')).toEqual({ obj: { inner: 'not an object' } });
    expect(extra('17')).toEqual({ ['__proto__']: { polluted: true }, _extra: 'mine', _sdc_sequence: 99 });
    expect(byId.get('12')!['obj']).toEqual({ a: null, b: null, inner: null });
    expect(byId.get('13')!['obj']).toBeNull();
  });

  it('takes only lines in the usual layout, wherever their version and time stand', () => {
    const withSpaces = Buffer.from(
      '{"type": "RECORD", "stream": "ação", "record": {"id": "1", "version": 3}, "time_extracted": "2026-01-01T00:00:00Z", "version": 12}',
    );
    expect(rawRecord(withSpaces)).toMatchObject({ stream: 'ação', version: 12 });
    expect(rawRecord(Buffer.from('{"type":"RECORD","stream":"s","record":{"version":4}}'))?.version).toBe(
      undefined,
    );
    // Other layouts are parsed by the reader: another key order, another key, a record that is not an object.
    expect(rawRecord(Buffer.from('{"stream":"s","type":"RECORD","record":{}}'))).toBeUndefined();
    expect(rawRecord(Buffer.from('{"type":"RECORD","stream":"s","record":{},"extra":1}'))).toBeUndefined();
    expect(rawRecord(Buffer.from('{"type":"RECORD","stream":"s","record":[1]}'))).toBeUndefined();
    expect(rawRecord(Buffer.from('{"type":"RECORD","stream":"s\\"q","record":{}}'))).toBeUndefined();
  });

  it('a line in the layout that is not JSON: one line on stderr, exit 1, the table unchanged', async () => {
    const db = join(dir, 'bad.duckdb');
    const schema = JSON.stringify(SCHEMA);
    const good = [schema, line({ id: '1' }, 1), '{"type":"ACTIVATE_VERSION","stream":"things","version":1}'];
    expect((await runCli(CONVERSAS_BIN, ['load', '--db', db], {}, good.join('\r\n') + '\r\n')).code).toBe(0);
    const bad = [
      schema,
      line({ id: '2' }, 2),
      '{"type":"RECORD","stream":"things","record":{"id":"3","n":},"version":2}',
    ];
    const r = await runCli(CONVERSAS_BIN, ['load', '--db', db], {}, bad.join('\n') + '\n');
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/RECORD line of stream "things" is not JSON/);
    expect(await queryCatalog(db, 'SELECT id FROM raw.things')).toEqual([{ id: '1' }]);
  });
});
