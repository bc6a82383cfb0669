/**
 * The service layer's views in the catalog (src/catalog/models.ts): made after the tables switch, in a
 * transaction of their own, so that a view that cannot be made never holds back the data.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CatalogLoader } from '../../src/catalog/loader.js';
import { CatalogStore, type ModelView, type TableTarget } from '../../src/catalog/store.js';
import { silentLogger } from '../../src/log.js';
import { queryCatalog } from '../helpers.js';

const target: TableTarget = { stream: 'things', layer: 'raw', folder: '', name: 'things' };
const view = (name: string, sql: string): ModelView => ({
  layer: 'service',
  name,
  model: 'attendances',
  reads: [target],
  sql,
  timeZone: 'UTC',
});

/** Loads two rows of `things` with these views to make; returns the warnings of the sync. */
async function loadWithViews(db: string, models: ModelView[]): Promise<string[]> {
  const warnings: string[] = [];
  const log = { ...silentLogger, warn: (m: string) => void warnings.push(m) };
  const store = await CatalogStore.open(db, { source: 'test', log });
  const loader = new CatalogLoader({
    store,
    source: 'test',
    retentionDays: 1,
    log,
    resolve: () => target,
    models,
  });
  try {
    await loader.write({
      type: 'SCHEMA',
      stream: 'things',
      schema: { type: 'object', properties: { key: { type: 'string' } } },
      key_properties: ['key'],
    });
    for (const key of ['a', 'b'])
      await loader.write({ type: 'RECORD', stream: 'things', record: { key }, version: 1 });
    await loader.write({ type: 'ACTIVATE_VERSION', stream: 'things', version: 1 });
    expect(await loader.finish()).toEqual([]);
  } finally {
    loader.close();
    await store.close();
  }
  return warnings;
}

describe('the service layer in the catalog', () => {
  it('a view that cannot be made leaves the tables switched, the views as they were, and says why', async () => {
    const db = join(mkdtempSync(join(tmpdir(), 'catalog-models-')), 'c.duckdb');
    expect(await loadWithViews(db, [view('counted', 'SELECT count(*) AS n FROM raw.things')])).toEqual([]);
    expect(await queryCatalog(db, 'SELECT n::INT AS n FROM service.counted')).toEqual([{ n: 2 }]);

    const warnings = await loadWithViews(db, [view('counted', 'SELECT no_such_column FROM raw.things')]);
    expect(warnings.join('\n')).toMatch(
      /^making the service layer failed, and was left as it was: .*no_such_column/m,
    );
    // The new version of the table is current; the view made by the last sync still answers.
    const [current] = await queryCatalog(
      db,
      `SELECT max(version)::INT AS v FROM _conversas.versions WHERE status = 'current' AND table_name = 'things'`,
    );
    expect(current).toEqual({ v: 2 });
    expect(await queryCatalog(db, 'SELECT n::INT AS n FROM service.counted')).toEqual([{ n: 2 }]);
  });
});
