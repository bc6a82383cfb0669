/**
 * The service layer in the catalog: a source's model views (src/models) are made again right after the
 * transaction that switches its tables, in a transaction of their own (a view that fails never holds back the
 * data), before the read file is published: readers see the new tables and the views over them together, and
 * never wait. `_conversas.models` says which source each view belongs to.
 */
import { UserError } from '../errors.js';
import type { Logger } from '../log.js';
import { META, qualified, type CatalogSession } from './catalog-file.js';
import { quoteIdent } from './columns.js';
import { SANDBOX_SOURCE, type ModelView, type TableTarget } from './types.js';

interface ModelRow {
  layer: string;
  name: string;
  source: string;
}

const keyOf = (t: { layer: string; name: string }): string => `${t.layer}.${t.name}`;

async function modelRows(session: CatalogSession): Promise<ModelRow[]> {
  return (await session.rows(`SELECT layer, name, source FROM ${META}.models`)).map((r) => ({
    layer: String(r['layer']),
    name: String(r['name']),
    source: String(r['source']),
  }));
}

/** Refuses to switch a table onto the name of another source's view of the service layer. */
export async function checkModelOwner(
  session: CatalogSession,
  target: TableTarget,
  source: string,
): Promise<void> {
  const taken = (await modelRows(session)).find(
    (m) => keyOf(m) === keyOf(target) && m.source !== source && m.source !== SANDBOX_SOURCE,
  );
  if (taken)
    throw new UserError(
      `${keyOf(target)} is a view of source "${taken.source}"'s service layer; source "${source}" will not overwrite it: choose another --layer or --prefix`,
    );
}

/**
 * Makes the source's views of the service layer (after its tables switched) and
 * drops those it no longer wants (`models_layer` changed or turned off). Views whose tables are not all in
 * the catalog yet wait for a sync that brings them; a name another source holds is left alone. Returns the
 * views made.
 */
export async function switchModels(
  session: CatalogSession,
  source: string,
  models: ModelView[],
  now: Date,
  log?: Logger,
): Promise<string[]> {
  const { db } = session;
  const current = new Set(
    (await session.rows(`SELECT layer, table_name FROM ${META}.versions WHERE status = 'current'`)).map(
      (r) => `${String(r['layer'])}.${String(r['table_name'])}`,
    ),
  );
  const missing = [...new Set(models.flatMap((m) => m.reads.map(keyOf)))].filter((t) => !current.has(t));
  if (missing.length)
    log?.info(`the service layer waits for ${missing.join(' and ')}: a sync that brings them makes it`);
  // DuckDB names a catalog after its file: a schema of that name cannot be told from it in the views' SQL.
  const [{ d: database } = { d: '' }] = await session.rows(`SELECT current_database() AS d`);
  const clash = models.flatMap((m) => [m.layer, ...m.reads.map((t) => t.layer)]).find((l) => l === database);
  if (clash && models.length)
    log?.warn(
      `the service layer is not made: its SQL names the layer "${clash}", which is also the catalog's own name (${String(database)}.duckdb) and DuckDB cannot tell them apart; choose another layer or models_layer, or another catalog file name`,
    );
  const rows = await modelRows(session);
  // The demo's views (conversas sync --sandbox) give way to a real source's, never the reverse.
  const others = new Map(
    rows.filter((r) => r.source !== source && r.source !== SANDBOX_SOURCE).map((r) => [keyOf(r), r.source]),
  );
  // The models read one another (by name): all of them are made, or none.
  const held = models.flatMap((m) => {
    const holder = current.has(keyOf(m)) ? 'a synced table' : others.get(keyOf(m));
    return holder
      ? [`${keyOf(m)} (${holder === 'a synced table' ? holder : `a view of source "${holder}"`})`]
      : [];
  });
  if (held.length && !clash && !missing.length)
    log?.warn(
      `the service layer is not made: ${held.join(', ')} already; set models_layer (or table_prefix) so that the names differ`,
    );
  const wanted = clash || missing.length || held.length ? [] : models;
  const keep = new Set(wanted.map(keyOf));
  for (const old of rows.filter((r) => r.source === source && !keep.has(keyOf(r))))
    await dropModel(session, old);
  for (const model of wanted) {
    await db.run(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(model.layer)}`);
    await db.run(`CREATE OR REPLACE VIEW ${qualified(model.layer, model.name)} AS ${model.sql}`);
    await db.run(`DELETE FROM ${META}.models WHERE layer = $1 AND name = $2`, [model.layer, model.name]);
    await db.run(`INSERT INTO ${META}.models VALUES ($1, $2, $3, $4, $5, $6::TIMESTAMPTZ)`, [
      model.layer,
      model.name,
      source,
      model.model,
      model.timeZone,
      now.toISOString(),
    ]);
  }
  return wanted.map(keyOf);
}

async function dropModel(session: CatalogSession, model: { layer: string; name: string }): Promise<void> {
  await session.db.run(`DROP VIEW IF EXISTS ${qualified(model.layer, model.name)}`);
  await session.db.run(`DELETE FROM ${META}.models WHERE layer = $1 AND name = $2`, [
    model.layer,
    model.name,
  ]);
}

/** Drops every view of a source's service layer (the source is removed). */
export async function dropModelsOf(session: CatalogSession, source: string): Promise<void> {
  for (const model of (await modelRows(session)).filter((r) => r.source === source))
    await dropModel(session, model);
}
