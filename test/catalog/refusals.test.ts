/**
 * `conversas load` fed hostile Singer input: every refusal is one named line (the input line, the stream), exit
 * non-zero, no stack trace; nothing of it becomes current, and the catalog stays loadable afterwards.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { CONVERSAS_BIN, queryCatalog, runCli } from '../helpers.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'conversas-refusals-'));
});

const schema = (stream: string, keys = ['id']) => ({
  type: 'SCHEMA',
  stream,
  schema: { type: 'object', properties: { id: { type: 'string' }, n: { type: ['integer', 'null'] } } },
  key_properties: keys,
});
const lines = (...messages: unknown[]) =>
  messages.map((m) => (typeof m === 'string' ? m : JSON.stringify(m))).join('\n') + '\n';
const load = (db: string, input: string) => runCli(CONVERSAS_BIN, ['load', '--db', join(dir, db)], {}, input);

describe('conversas load refuses, in one line', () => {
  const cases: [string, string, RegExp][] = [
    [
      'a key that is no field of the schema',
      lines(schema('bad', ['nope']), { type: 'RECORD', stream: 'bad', record: { id: '1' } }),
      /^conversas: input line 1: SCHEMA of stream "bad" names key property "nope", which is not a field of its schema$/,
    ],
    [
      'two streams that become one table',
      lines(schema('a-b'), schema('a_b')),
      /^conversas: streams "a-b" and "a_b" would both load into raw\.a_b: give one another table name/,
    ],
    [
      'a version that is a string',
      lines(schema('s'), '{"type":"RECORD","stream":"s","record":{"id":"1"},"version":"3"}'),
      /^conversas: input line 2: RECORD of stream "s" "version" must be a whole number ≥ 0 \(got "3"\)$/,
    ],
    [
      'a version past what a number holds exactly',
      lines(
        schema('s'),
        '{"type":"RECORD","stream":"s","record":{"id":"1"},"version":1180591620717411303424}',
      ),
      /^conversas: input line 2: RECORD of stream "s" "version" must be a whole number ≥ 0/,
    ],
    [
      'a record that is not an object',
      lines(schema('s'), { type: 'RECORD', stream: 's', record: [1, 2] }),
      /^conversas: input line 2: RECORD of stream "s" "record" must be an object$/,
    ],
    [
      'a STATE whose value is a string',
      lines(schema('s'), { type: 'STATE', value: 'done' }),
      /^conversas: input line 2: STATE "value" must be an object$/,
    ],
    [
      'a record without its key, as the fast path reads it',
      lines(schema('s'), { type: 'RECORD', stream: 's', record: { n: 1 } }),
      /^conversas: stream "s": 1 record\(s\) without a value for its key \(id\); refused/,
    ],
    [
      'a record whose key is null, parsed here, in a versioned stream',
      lines(schema('s'), '{"record":{"id":null,"n":1},"type":"RECORD","stream":"s","version":5}', {
        type: 'ACTIVATE_VERSION',
        stream: 's',
        version: 5,
      }),
      /^conversas: stream "s": 1 record\(s\) without a value for its key \(id\); refused/,
    ],
  ];
  for (const [what, input, error] of cases)
    it(what, async () => {
      const db = `${what.replace(/\W+/g, '_')}.duckdb`;
      const res = await load(db, input);
      expect(res.code).not.toBe(0);
      expect(res.stderr.trim().split('\n')).toHaveLength(1);
      expect(res.stderr.trim()).toMatch(error);
      // The catalog is still loadable, and nothing of the refused input is current.
      const good = await load(
        db,
        lines(schema('good'), { type: 'RECORD', stream: 'good', record: { id: '1', n: 2 } }),
      );
      expect(good.code, good.stderr).toBe(0);
      const current = await queryCatalog(
        join(dir, db),
        `SELECT table_name FROM _conversas.versions WHERE status = 'current' ORDER BY table_name`,
      );
      expect(current.map((r) => r['table_name'])).toEqual(['good']);
    });
});

describe('conversas load keeps what it can hold', () => {
  const rowsOf = (db: string, table: string) =>
    queryCatalog(join(dir, db), `SELECT to_json(t)::VARCHAR AS row FROM ${table} t ORDER BY id`).then(
      (rows) => rows.map((r) => JSON.parse(String(r['row'])) as unknown),
    );

  it('a SCHEMA that changes a column type mid-stream: the table keeps its columns, the value goes to _extra', async () => {
    const changed = {
      ...schema('s'),
      schema: { type: 'object', properties: { id: { type: 'string' }, n: { type: 'string' } } },
    };
    const res = await load(
      'type-change.duckdb',
      lines(schema('s'), { type: 'RECORD', stream: 's', record: { id: '1', n: 1 } }, changed, {
        type: 'RECORD',
        stream: 's',
        record: { id: '2', n: 'abc' },
      }),
    );
    expect(res.code, res.stderr).toBe(0);
    expect(await rowsOf('type-change.duckdb', 'raw.s')).toEqual([
      { id: '1', n: 1, _extra: null },
      { id: '2', n: null, _extra: { n: 'abc' } },
    ]);
  });

  it('a value nested 6,000 deep: loaded whole', async () => {
    const deep = '['.repeat(6000) + '1' + ']'.repeat(6000);
    const res = await load(
      'deep.duckdb',
      lines(schema('s')) + `{"type":"RECORD","stream":"s","record":{"id":"1","n":1,"more":${deep}}}\n`,
    );
    expect(res.code, res.stderr).toBe(0);
    const [row] = await queryCatalog(join(dir, 'deep.duckdb'), `SELECT _extra::VARCHAR AS extra FROM raw.s`);
    expect(String(row!['extra'])).toBe(`{"more":${deep}}`);
  });

  it('a field with an empty name: kept in _extra', async () => {
    const res = await load(
      'empty-name.duckdb',
      lines(
        {
          ...schema('e'),
          schema: { type: 'object', properties: { id: { type: 'string' }, '': { type: 'string' } } },
        },
        { type: 'RECORD', stream: 'e', record: { id: '1', '': 'x' } },
      ),
    );
    expect(res.code, res.stderr).toBe(0);
    expect(await rowsOf('empty-name.duckdb', 'raw.e')).toEqual([{ id: '1', _extra: { '': 'x' } }]);
  });

  it('the files of a current table deleted outside the tool: a merge is refused in one line naming the fix', async () => {
    const db = join(dir, 'dropped.duckdb');
    const input = lines(schema('s'), { type: 'RECORD', stream: 's', record: { id: '1', n: 1 } });
    expect((await load('dropped.duckdb', input)).code).toBe(0);
    const [row] = await queryCatalog(db, `SELECT location FROM _conversas.versions WHERE status = 'current'`);
    rmSync(String(row!['location']), { recursive: true });
    const res = await load('dropped.duckdb', input);
    expect(res.code).toBe(1);
    expect(res.stderr.trim()).toMatch(
      /^conversas: raw\.s: the files of its current version \(\S+version=1\) were deleted outside conversas, so new rows cannot be merged into it; run a full sync \(conversas sync --full\)/,
    );
    expect(res.stderr).not.toMatch(/\n\s+at /);
  });
});
