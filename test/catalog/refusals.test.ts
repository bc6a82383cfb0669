/**
 * `conversas load` fed hostile Singer input: every refusal is one named line (the input line, the stream), exit
 * non-zero, no stack trace; nothing of it becomes current, and the catalog stays loadable afterwards.
 */
import { mkdtempSync } from 'node:fs';
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
