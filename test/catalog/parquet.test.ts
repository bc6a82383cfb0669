/**
 * What the catalog publishes for other engines: each current version as Parquet, read here with hyparquet (a
 * Parquet reader that is not DuckDB). It must hold the same rows as the catalog's tables, column by column.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { asyncBufferFromFile, parquetReadObjects } from 'hyparquet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CatalogReader } from '../../src/catalog/reader.js';
import { silentLogger } from '../../src/log.js';
import { parseSource } from '../../src/pipeline/source.js';
import { runPipeline } from '../../src/pipeline/sync.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { DAY, dayOf, sandboxOverrides } from '../helpers.js';

let sb: Sandbox;
let dir: string;
beforeAll(async () => {
  sb = await startSandbox({ world: { seed: 37, contacts: 25 }, requestsPerMinute: 0 });
  dir = mkdtempSync(join(tmpdir(), 'conversas-parquet-'));
});
afterAll(() => sb.close());

/** A value as both sides can say it: numbers as numbers, instants as epoch milliseconds, text as it is. */
const plain = (v: unknown): unknown =>
  v instanceof Date ? v.getTime() : typeof v === 'bigint' ? Number(v) : v === undefined ? null : v;

describe('Parquet for other engines', () => {
  it('the current Parquet of contacts and messages holds the rows of the catalog, read without DuckDB', async () => {
    const db = join(dir, 'p.duckdb');
    const config = sandboxOverrides(sb, dayOf(sb.world.now - 30 * DAY), dayOf(sb.world.now));
    await runPipeline({
      source: parseSource({ name: 'pq', config, streams: { messages_history: { selected: false } } }),
      db,
      log: silentLogger,
    });
    const reader = await CatalogReader.open(db);
    try {
      const tables = await reader.tables();
      for (const name of ['contacts', 'messages']) {
        const table = tables.find((t) => t.table === name)!;
        expect(table.parquet).toMatch(new RegExp(`p\\.parquet/raw/${name}/version=1$`));
        const theirs = await parquetReadObjects({
          file: await asyncBufferFromFile(join(table.parquet!, 'data.parquet')),
        });
        const columns = (await reader.query(`DESCRIBE raw.${name}`)).map((r) => ({
          name: String(r['column_name']),
          type: String(r['column_type']),
        }));
        const simple = columns.filter((c) =>
          /^(VARCHAR|BIGINT|INTEGER|DOUBLE|BOOLEAN|TIMESTAMP WITH TIME ZONE)$/.test(c.type),
        );
        const select = simple
          .map((c) =>
            c.type.startsWith('TIMESTAMP') ? `epoch_ms("${c.name}") AS "${c.name}"` : `"${c.name}"`,
          )
          .join(', ');
        const ours = await reader.query(`SELECT ${select} FROM raw.${name}`);
        expect(simple.length).toBeGreaterThan(4);
        expect(theirs.length).toBe(table.rows);
        expect(theirs.length).toBeGreaterThan(20);
        expect(Object.keys(theirs[0]!)).toEqual(columns.map((c) => c.name));
        const pick = (row: Record<string, unknown>) =>
          Object.fromEntries(simple.map((c) => [c.name, plain(row[c.name])]));
        expect(theirs.map(pick)).toEqual(
          ours.map((row) =>
            Object.fromEntries(
              simple.map((c) => {
                const v = row[c.name];
                return [
                  c.name,
                  v === null
                    ? null
                    : /BIGINT|INTEGER|DOUBLE/.test(c.type) || c.type.startsWith('TIMESTAMP')
                      ? Number(v)
                      : v,
                ];
              }),
            ),
          ),
        );
      }
    } finally {
      await reader.close();
    }
  });
});
