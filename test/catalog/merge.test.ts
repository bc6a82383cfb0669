/**
 * Incremental loads: records without a version are merged by key into the current table (a new version made
 * of the old rows and the new ones), atomically like any version; keyless streams are replaced; frequent
 * merges keep one earlier version a day.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { SingerMessage } from '../../src/singer/messages.js';
import { loadWith, queryCatalog } from '../helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'conversas-merge-'));
const schema = (extra: Record<string, unknown> = {}): SingerMessage => ({
  type: 'SCHEMA',
  stream: 'messages',
  schema: {
    type: 'object',
    properties: { key: { type: 'string' }, content: { type: ['string', 'null'] }, ...extra },
  },
  key_properties: ['key'],
});
const record = (r: Record<string, unknown>, version?: number): SingerMessage => ({
  type: 'RECORD',
  stream: 'messages',
  record: r,
  ...(version !== undefined ? { version } : {}),
});

async function load(db: string, messages: SingerMessage[], now: Date, keys = true): Promise<void> {
  await loadWith(
    db,
    async (loader) => {
      for (const m of messages)
        await loader.write(m.type === 'SCHEMA' && !keys ? { ...m, key_properties: [] } : m);
    },
    now,
  );
}

const rows = queryCatalog;

const at = (day: number, hour: number) => new Date(Date.UTC(2026, 10, day, hour));

describe('incremental loads', () => {
  it('merge new and changed rows by key into the current rows, new columns included', async () => {
    const db = join(dir, 'merge.duckdb');
    await load(
      db,
      [
        schema(),
        record({ key: 'a', content: 'one' }, 1),
        record({ key: 'b', content: 'two' }, 1),
        { type: 'ACTIVATE_VERSION', stream: 'messages', version: 1 },
      ],
      at(2, 1),
    );
    await load(
      db,
      [
        schema({ kind: { type: ['string', 'null'] } }),
        record({ key: 'b', content: 'two, edited', kind: 'text' }),
        record({ key: 'c', content: 'three', kind: 'media' }),
        record({ key: 'c', content: 'three, again', kind: 'media' }),
      ],
      at(2, 2),
    );
    expect(await rows(db, 'SELECT key, content, kind FROM raw.messages ORDER BY key')).toEqual([
      { key: 'a', content: 'one', kind: null },
      { key: 'b', content: 'two, edited', kind: 'text' },
      { key: 'c', content: 'three, again', kind: 'media' },
    ]);
    const versions = await rows(
      db,
      `SELECT version, status, mode, rows FROM _conversas.versions WHERE table_name = 'messages' ORDER BY version`,
    );
    expect(versions.map((v) => [Number(v['version']), v['status'], v['mode'], Number(v['rows'])])).toEqual([
      [1, 'superseded', 'full', 2],
      [2, 'current', 'merge', 3],
    ]);
    // The earlier version is still there as it was.
    expect(await rows(db, `SELECT count(*) AS n FROM _conversas_versions.raw__messages__v1`)).toEqual([
      { n: '2' },
    ]);
  });

  it('replace a keyless stream (nothing to merge on)', async () => {
    const db = join(dir, 'keyless.duckdb');
    await load(db, [schema(), record({ key: 'a', content: 'one' })], at(3, 1), false);
    await load(db, [schema(), record({ key: 'b', content: 'two' })], at(3, 2), false);
    expect(await rows(db, 'SELECT key FROM raw.messages')).toEqual([{ key: 'b' }]);
  });

  it('keep one earlier version a day when merges come every few minutes', async () => {
    const db = join(dir, 'thin.duckdb');
    await load(
      db,
      [
        schema(),
        record({ key: 'a', content: 'v1' }, 1),
        { type: 'ACTIVATE_VERSION', stream: 'messages', version: 1 },
      ],
      at(4, 1),
    );
    for (const [i, when] of [at(4, 2), at(4, 3), at(4, 4), at(5, 1), at(5, 2)].entries())
      await load(db, [schema(), record({ key: 'a', content: `merge ${i}` })], when);
    const kept = await rows(
      db,
      `SELECT version, status, superseded_at::DATE::VARCHAR AS day FROM _conversas.versions WHERE table_name = 'messages' ORDER BY version`,
    );
    // Of the versions superseded on the 4th (1, 2, 3) only the last stays; of those superseded on the 5th (4, 5)
    // only the last too.
    expect(kept.map((v) => [Number(v['version']), v['status'], v['day']])).toEqual([
      [3, 'superseded', '2026-11-04'],
      [5, 'superseded', '2026-11-05'],
      [6, 'current', null],
    ]);
    expect(await rows(db, 'SELECT content FROM raw.messages')).toEqual([{ content: 'merge 4' }]);
  });
});
