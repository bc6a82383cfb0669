/**
 * The catalog file, held for moments: a writer opens it only to switch versions (or drop a source), in one
 * transaction, then publishes the read file (layout.ts) and lets go. DuckDB allows one writing process or
 * several readers, never both; so readers use the read file, and a writer that finds the catalog busy (another
 * source switching) waits and tries again, bounded, instead of failing its sync.
 */
import { chmodSync, existsSync, renameSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { DuckDBConnection, DuckDBValue } from '@duckdb/node-api';
import { UserError } from '../errors.js';
import type { Logger } from '../log.js';
import { quoteIdent, quoteString } from './columns.js';
import { privateDir, versionDir, type CatalogLayout } from './layout.js';

const { DuckDBInstance } = createRequire(import.meta.url)(
  '@duckdb/node-api',
) as typeof import('@duckdb/node-api');

export const META = '_conversas';
export const VERSIONS_SCHEMA = '_conversas_versions';
/** What DuckDB says when another process holds the file (not any message that happens to contain "lock"). */
export const LOCKED = /Could not set lock on file|Conflicting lock is held/i;

export const qualified = (schema: string, table: string): string =>
  `${quoteIdent(schema)}.${quoteIdent(table)}`;

export type Rows = (sql: string, values?: DuckDBValue[]) => Promise<Record<string, unknown>[]>;

export interface CatalogSession {
  db: DuckDBConnection;
  rows: Rows;
  layout: CatalogLayout;
}

export interface SessionOptions {
  log?: Logger;
  /** How long to wait for another process to let go of the catalog (default 10 minutes). */
  waitMs?: number;
  /** Told how long the catalog was held, open to closed (for the bench). */
  onHeld?: (ms: number) => void;
  /**
   * Work that follows the committed `work` in a transaction of its own, before the read file is published:
   * if it fails, it is rolled back and said (a warning), and what `work` did stands.
   */
  after?: { what: string; work: (session: CatalogSession) => Promise<void> };
}

/** The view of a kept version: its Parquet files. */
export const parquetScan = (dir: string): string =>
  `read_parquet(${quoteString(`${dir}/*.parquet`)}, hive_partitioning = false)`;

async function openWaiting(layout: CatalogLayout, o: SessionOptions) {
  const deadline = Date.now() + (o.waitMs ?? 600_000);
  let pause = 20;
  let told = false;
  for (;;) {
    try {
      return await DuckDBInstance.create(layout.db);
    } catch (error) {
      const message = (error as Error).message;
      if (!LOCKED.test(message))
        throw new UserError(
          `cannot open the catalog ${layout.db}: it is damaged or not a DuckDB catalog (${message.split('\n')[0]})`,
        );
      if (Date.now() >= deadline)
        throw new UserError(
          `the catalog ${layout.db} stayed in use by another process for ${Math.round((o.waitMs ?? 600_000) / 1000)} s (a tool holding it open? readers should open ${layout.read}); the synced rows wait in ${layout.staging}: run again to switch them`,
        );
      if (!told) o.log?.info(`the catalog is busy (another source switching its tables?); waiting for it`);
      told = true;
      await new Promise((r) => setTimeout(r, pause));
      pause = Math.min(500, pause * 2);
    }
  }
}

/**
 * Sessions of this process, one after another per catalog: DuckDB's file lock keeps other processes out, not
 * another instance in this one (two sources switching at once in `conversas schedule --dir`).
 */
const sessions = new Map<string, Promise<unknown>>();

/**
 * Opens the catalog for writing, runs `work` in one transaction, publishes the read file, and closes: the
 * whole time another process cannot open the catalog, so `work` does bookkeeping only (rows are in Parquet).
 */
export function withCatalogFile<T>(
  layout: CatalogLayout,
  work: (session: CatalogSession) => Promise<T>,
  o: SessionOptions = {},
): Promise<T> {
  const before = sessions.get(layout.db) ?? Promise.resolve();
  const mine = before.then(
    () => session(layout, work, o),
    () => session(layout, work, o),
  );
  const settled = mine.catch(() => undefined);
  sessions.set(layout.db, settled);
  void settled.then(() => {
    if (sessions.get(layout.db) === settled) sessions.delete(layout.db);
  });
  return mine;
}

async function session<T>(
  layout: CatalogLayout,
  work: (session: CatalogSession) => Promise<T>,
  o: SessionOptions,
): Promise<T> {
  privateDir(layout.parquet);
  const instance = await openWaiting(layout, o);
  const opened = Date.now();
  const db = await instance.connect();
  const rows: Rows = async (sql, values = []) =>
    (await db.runAndReadAll(sql, values)).getRowObjectsJson() as Record<string, unknown>[];
  const session = { db, rows, layout };
  try {
    chmodSync(layout.db, 0o600);
    await ensureSchema(session);
    await db.run('BEGIN TRANSACTION');
    let result: T;
    try {
      result = await work(session);
      await db.run('COMMIT');
    } catch (error) {
      await db.run('ROLLBACK').catch(() => undefined);
      throw error;
    }
    if (o.after) {
      await db.run('BEGIN TRANSACTION');
      try {
        await o.after.work(session);
        await db.run('COMMIT');
      } catch (error) {
        await db.run('ROLLBACK').catch(() => undefined);
        o.log?.warn(
          `${o.after.what} failed, and was left as it was: ${(error as Error).message.split('\n')[0]}`,
        );
      }
    }
    await publish(session);
    return result;
  } finally {
    db.closeSync();
    instance.closeSync();
    o.onHeld?.(Date.now() - opened);
  }
}

async function ensureSchema({ db, rows, layout }: CatalogSession): Promise<void> {
  await db.run(`CREATE SCHEMA IF NOT EXISTS ${META}; CREATE SCHEMA IF NOT EXISTS ${VERSIONS_SCHEMA};
    CREATE TABLE IF NOT EXISTS ${META}.versions (
      layer VARCHAR, table_name VARCHAR, folder VARCHAR, stream VARCHAR, version INTEGER, singer_version BIGINT,
      physical VARCHAR, rows BIGINT, status VARCHAR, created_at TIMESTAMPTZ, activated_at TIMESTAMPTZ, superseded_at TIMESTAMPTZ);
    ALTER TABLE ${META}.versions ADD COLUMN IF NOT EXISTS source VARCHAR;
    ALTER TABLE ${META}.versions ADD COLUMN IF NOT EXISTS keys JSON;
    ALTER TABLE ${META}.versions ADD COLUMN IF NOT EXISTS mode VARCHAR;
    ALTER TABLE ${META}.versions ADD COLUMN IF NOT EXISTS location VARCHAR;
    CREATE TABLE IF NOT EXISTS ${META}.state (source VARCHAR PRIMARY KEY, value JSON, updated_at TIMESTAMPTZ);
    ALTER TABLE ${META}.state ADD COLUMN IF NOT EXISTS settings JSON;
    CREATE TABLE IF NOT EXISTS ${META}.models (
      layer VARCHAR, name VARCHAR, source VARCHAR, model VARCHAR, time_zone VARCHAR, created_at TIMESTAMPTZ);`);
  // A catalog an earlier conversas made holds its versions as tables: they move to Parquet once, and an
  // unfinished sync of then starts over (its rows were in the catalog; staging is elsewhere now).
  const tables = await rows(
    `SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() AND schema_name = $1`,
    [VERSIONS_SCHEMA],
  );
  for (const { table_name } of tables) {
    const physical = String(table_name);
    const [row] = await rows(
      `SELECT layer, table_name, version, status FROM ${META}.versions WHERE physical = $1`,
      [physical],
    );
    const table = qualified(VERSIONS_SCHEMA, physical);
    if (row && (row['status'] === 'current' || row['status'] === 'superseded')) {
      const dir = versionDir(layout, String(row['layer']), String(row['table_name']), Number(row['version']));
      privateDir(dir);
      await db.run(`COPY ${table} TO ${quoteString(`${dir}/data.parquet`)} (FORMAT parquet)`);
      await db.run(`DROP TABLE ${table}`);
      await db.run(`CREATE VIEW ${table} AS SELECT * FROM ${parquetScan(dir)}`);
      await db.run(`UPDATE ${META}.versions SET location = $2 WHERE physical = $1`, [physical, dir]);
      if (row['status'] === 'current')
        await db.run(
          `CREATE OR REPLACE VIEW ${qualified(String(row['layer']), String(row['table_name']))} AS SELECT * FROM ${parquetScan(dir)}`,
        );
    } else {
      await db.run(`DROP TABLE ${table}`);
      await db.run(`DELETE FROM ${META}.versions WHERE physical = $1`, [physical]);
    }
  }
  await db.run(`DELETE FROM ${META}.versions WHERE status IN ('pending', 'ready')`);
}

/**
 * The read file: a copy of the catalog (views over Parquet, the listing, saved STATE), written beside it and
 * renamed over the last one. A reader that has the old one open keeps reading what it opened.
 */
async function publish({ db, rows, layout }: CatalogSession): Promise<void> {
  const temp = `${layout.read}.${process.pid}.tmp`;
  rmSync(temp, { force: true });
  const [name] = await rows(`SELECT current_database() AS d`);
  await db.run(`ATTACH ${quoteString(temp)} AS conversas_publish`);
  try {
    await db.run(`COPY FROM DATABASE ${quoteIdent(String(name!['d']))} TO conversas_publish`);
  } finally {
    await db.run(`DETACH conversas_publish`);
  }
  chmodSync(temp, 0o600);
  renameSync(temp, layout.read);
}

/** Whether a catalog exists to read (its read file, or a catalog from before there were read files). */
export const catalogExists = (layout: CatalogLayout): boolean =>
  existsSync(layout.read) || existsSync(layout.db);

/** A SQL list of string literals. */
export const quoteSqlList = (items: string[]): string => `[${items.map(quoteString).join(', ')}]`;
