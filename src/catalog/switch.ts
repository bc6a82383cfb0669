/**
 * Making a sync's versions current, in two steps. In the source's staging file, with nobody waiting: each
 * ready version becomes its final rows (a merge takes the current version's rows whose key it lacks; rows
 * resent by a resumed sync are deduplicated by key) written as Parquet. Then, in the catalog, one short
 * transaction: the views switch, the old versions are superseded, versions past retention go, and the STATE
 * that says the sync is done is saved. A kill before that commit leaves every current version as it was.
 */
import { rmSync } from 'node:fs';
import type { DuckDBConnection } from '@duckdb/node-api';
import { UserError } from '../errors.js';
import {
  parquetScan,
  qualified,
  META,
  VERSIONS_SCHEMA,
  type CatalogSession,
  type Rows,
} from './catalog-file.js';
import { EXTRA_COLUMN, quoteIdent, quoteString, SEQUENCE_COLUMN } from './columns.js';
import { privateDir, versionDir, type CatalogLayout } from './layout.js';
import { checkModelOwner, dropModelsOf } from './models.js';
import { SANDBOX_SOURCE, type TableTarget, type VersionMode } from './types.js';

export { SANDBOX_SOURCE };

export const physicalName = (t: TableTarget, version: number): string => `${t.layer}__${t.name}__v${version}`;

/** A ready version in staging: its table there, and what the catalog is to know of it. */
export interface ReadyVersion {
  target: TableTarget;
  version: number;
  singerVersion: number;
  /** Its table in the staging file. */
  staged: string;
  keys: string[];
  mode: VersionMode;
  createdAt: string;
}

/** A version written as Parquet, ready for the switch. */
export interface BuiltVersion extends ReadyVersion {
  location: string;
  rows: number;
}

export interface Activated {
  target: TableTarget;
  version: number;
  rows: number;
}

/** The current version of a table as the catalog lists it. */
export interface CurrentVersion {
  version: number;
  location: string | null;
  source: string | null;
}

/** Writes a ready version's final rows as Parquet (in the staging file's connection). */
export async function buildVersion(
  staging: { db: DuckDBConnection; rows: Rows },
  layout: CatalogLayout,
  ready: ReadyVersion,
  current: CurrentVersion | undefined,
): Promise<BuiltVersion> {
  const { target, keys } = ready;
  const table = qualified(VERSIONS_SCHEMA, ready.staged);
  const merged = ready.mode === 'merge' && current !== undefined;
  if (merged) await carryOver(staging, target, ready.staged, keys, current);
  const location = versionDir(layout, target.layer, target.name, ready.version);
  rmSync(location, { recursive: true, force: true });
  privateDir(location);
  const [counts] = await staging.rows(`SELECT count(${EXTRA_COLUMN}) AS extra FROM ${table}`);
  const drop = [SEQUENCE_COLUMN, ...(Number(counts!['extra']) === 0 ? [EXTRA_COLUMN] : [])];
  // The latest row per key: a resumed sync may have sent some again. Rows without a key are never merged.
  // Counting distinct keys costs far less than ranking every row, and most versions have no key twice.
  const keyList = keys.map(quoteIdent).join(', ');
  const keyed = keys.map((k) => `${quoteIdent(k)} IS NOT NULL`).join(' AND ');
  const [repeats] = keys.length
    ? await staging.rows(`SELECT count(*) - count(DISTINCT (${keyList})) AS n FROM ${table} WHERE ${keyed}`)
    : [];
  const dedupe = Number(repeats?.['n'] ?? 0) > 0;
  const latest = dedupe
    ? ` QUALIFY NOT (${keyed}) OR row_number() OVER (PARTITION BY ${keyList} ORDER BY ${SEQUENCE_COLUMN} DESC) = 1`
    : '';
  // Rows are staged in the order they came; only carried-over rows and ranking change that order.
  const order = merged || dedupe ? ` ORDER BY ${SEQUENCE_COLUMN}` : '';
  const written = await staging.db.run(
    `COPY (SELECT * EXCLUDE (${drop.map(quoteIdent).join(', ')}) FROM ${table}${latest}${order}) TO ${quoteString(`${location}/data.parquet`)} (FORMAT parquet)`,
  );
  return { ...ready, location, rows: Number(written.rowsChanged) };
}

/**
 * A merge version: the current version's rows whose key the new rows do not have join them (as older rows,
 * sequence 0), in the columns both share.
 */
async function carryOver(
  staging: { db: DuckDBConnection; rows: Rows },
  target: TableTarget,
  staged: string,
  keys: string[],
  current: CurrentVersion,
): Promise<void> {
  if (!current.location) return;
  const table = qualified(VERSIONS_SCHEMA, staged);
  const from = parquetScan(current.location);
  let old: Set<string>;
  try {
    old = new Set(
      (await staging.rows(`DESCRIBE SELECT * FROM ${from}`)).map((r) => String(r['column_name'])),
    );
  } catch {
    throw new UserError(
      `${target.layer}.${target.name}: the files of its current version (${current.location}) were deleted outside conversas, so new rows cannot be merged into it; run a full sync (conversas sync --full) to make it whole again`,
    );
  }
  const mine = await staging.rows(
    `SELECT column_name FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2`,
    [VERSIONS_SCHEMA, staged],
  );
  const shared = mine.map((r) => String(r['column_name'])).filter((c) => old.has(c) && c !== SEQUENCE_COLUMN);
  const sameKey = keys.map((k) => `n.${quoteIdent(k)} = c.${quoteIdent(k)}`).join(' AND ');
  await staging.db.run(
    `INSERT INTO ${table} (${shared.map(quoteIdent).join(', ')}, ${SEQUENCE_COLUMN}) SELECT ${shared.map((c) => `c.${quoteIdent(c)}`).join(', ')}, 0 FROM ${from} c` +
      ` WHERE NOT EXISTS (SELECT 1 FROM ${table} n WHERE ${sameKey})`,
  );
}

/** The current version of each table of the catalog. */
export async function currentVersions(session: CatalogSession): Promise<Map<string, CurrentVersion>> {
  const rows = await session.rows(
    `SELECT layer, table_name, version, location, source FROM ${META}.versions WHERE status = 'current'`,
  );
  return new Map(
    rows.map((r) => [
      `${String(r['layer'])}.${String(r['table_name'])}`,
      {
        version: Number(r['version']),
        location: (r['location'] as string | null) ?? null,
        source: (r['source'] as string | null) ?? null,
      },
    ]),
  );
}

/** The highest version number each table has had (kept or not), so a new one never reuses a number. */
export async function maxVersions(session: CatalogSession): Promise<Map<string, number>> {
  const rows = await session.rows(
    `SELECT layer, table_name, max(version) AS v FROM ${META}.versions GROUP BY ALL`,
  );
  return new Map(rows.map((r) => [`${String(r['layer'])}.${String(r['table_name'])}`, Number(r['v'])]));
}

/** Refuses to write a table that holds another source's data (a real source's tables are never the demo's). */
export function checkOwner(target: TableTarget, source: string, owner: string | null | undefined): void {
  if (!owner || owner === source || owner === SANDBOX_SOURCE) return;
  throw new UserError(
    `${target.layer}.${target.name} holds the data of source "${owner}"; ${source === SANDBOX_SOURCE ? 'the sandbox never writes into a real source' : `source "${source}" will not overwrite it`}: choose another --layer or --prefix, or another --db`,
  );
}

/**
 * The switch, inside the catalog's transaction: every built version becomes current. Returns the Parquet
 * folders of the versions that expired, to delete once the transaction is committed.
 */
export async function switchVersions(
  session: CatalogSession,
  source: string,
  built: BuiltVersion[],
  retentionDays: number,
  now: Date,
): Promise<string[]> {
  const { db } = session;
  const current = await currentVersions(session);
  const at = now.toISOString();
  const expired: string[] = [];
  for (const v of built) {
    const { target } = v;
    checkOwner(target, source, current.get(`${target.layer}.${target.name}`)?.source);
    await checkModelOwner(session, target, source);
    const physical = physicalName(target, v.version);
    await db.run(`DELETE FROM ${META}.versions WHERE layer = $1 AND table_name = $2 AND version = $3`, [
      target.layer,
      target.name,
      v.version,
    ]);
    await db.run(
      `UPDATE ${META}.versions SET status = 'superseded', superseded_at = $3::TIMESTAMPTZ WHERE layer = $1 AND table_name = $2 AND status = 'current'`,
      [target.layer, target.name, at],
    );
    await db.run(
      `INSERT INTO ${META}.versions (layer, table_name, folder, stream, version, singer_version, physical, rows, status, created_at, activated_at, source, keys, mode, location)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'current', $9::TIMESTAMPTZ, $10::TIMESTAMPTZ, $11, $12::JSON, $13, $14)`,
      [
        target.layer,
        target.name,
        target.folder,
        target.stream,
        v.version,
        v.singerVersion,
        physical,
        v.rows,
        v.createdAt,
        at,
        source,
        JSON.stringify(v.keys),
        v.mode,
        v.location,
      ],
    );
    await db.run(
      `CREATE OR REPLACE VIEW ${qualified(VERSIONS_SCHEMA, physical)} AS SELECT * FROM ${parquetScan(v.location)}`,
    );
    await db.run(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(target.layer)}`);
    await db.run(
      `CREATE OR REPLACE VIEW ${qualified(target.layer, target.name)} AS SELECT * FROM ${parquetScan(v.location)}`,
    );
    expired.push(...(await expire(session, target, retentionDays, v.mode, now)));
  }
  return expired;
}

/**
 * Drops versions superseded more than `retentionDays` ago. A merge version (an incremental run, perhaps every
 * few minutes) also drops the versions it and its like superseded earlier the same day: one a day is kept.
 */
async function expire(
  session: CatalogSession,
  target: TableTarget,
  retentionDays: number,
  mode: VersionMode,
  now: Date,
): Promise<string[]> {
  const cutoff = new Date(now.getTime() - retentionDays * 86_400_000).toISOString();
  const old = await session.rows(
    `SELECT physical, location FROM ${META}.versions WHERE layer = $1 AND table_name = $2 AND status = 'superseded' AND (superseded_at <= $3::TIMESTAMPTZ` +
      (mode === 'merge'
        ? ` OR (superseded_at >= $4::TIMESTAMPTZ AND superseded_at < $5::TIMESTAMPTZ AND version < (SELECT max(version) FROM ${META}.versions WHERE layer = $1 AND table_name = $2 AND status = 'superseded')))`
        : ')'),
    [
      target.layer,
      target.name,
      cutoff,
      ...(mode === 'merge'
        ? [new Date(Math.floor(now.getTime() / 86_400_000) * 86_400_000).toISOString(), now.toISOString()]
        : []),
    ],
  );
  for (const row of old) await dropVersion(session, target.layer, target.name, String(row['physical']));
  return old.flatMap((r) => (r['location'] ? [String(r['location'])] : []));
}

async function dropVersion(
  session: CatalogSession,
  layer: string,
  table: string,
  physical: string,
): Promise<void> {
  await session.db.run(`DROP VIEW IF EXISTS ${qualified(VERSIONS_SCHEMA, physical)}`);
  await session.db.run(
    `DELETE FROM ${META}.versions WHERE layer = $1 AND table_name = $2 AND physical = $3`,
    [layer, table, physical],
  );
}

/** Drops every table of a source (views, versions) and its saved STATE; returns the folders to delete. */
export async function dropSourceIn(session: CatalogSession, source: string): Promise<string[]> {
  const current = await session.rows(
    `SELECT DISTINCT layer, table_name FROM ${META}.versions WHERE source = $1 AND status = 'current'`,
    [source],
  );
  for (const row of current)
    await session.db.run(`DROP VIEW IF EXISTS ${qualified(String(row['layer']), String(row['table_name']))}`);
  const versions = await session.rows(
    `SELECT layer, table_name, physical, location FROM ${META}.versions WHERE source = $1`,
    [source],
  );
  for (const row of versions)
    await dropVersion(session, String(row['layer']), String(row['table_name']), String(row['physical']));
  await session.db.run(`DELETE FROM ${META}.state WHERE source = $1`, [source]);
  await dropModelsOf(session, source);
  return versions.flatMap((r) => (r['location'] ? [String(r['location'])] : []));
}

/** Saves a source's STATE in the catalog (the switch's, or a staging one carried over). */
export async function saveStateIn(
  db: DuckDBConnection,
  state: { source: string; value: unknown; settings?: unknown },
  at: Date,
): Promise<void> {
  await db.run(`INSERT OR REPLACE INTO ${META}.state VALUES ($1, $2::JSON, $3::TIMESTAMPTZ, $4::JSON)`, [
    state.source,
    JSON.stringify(state.value),
    at.toISOString(),
    state.settings === undefined ? null : JSON.stringify(state.settings),
  ]);
}
