/**
 * Where a catalog keeps its files, beside the catalog file `NAME.duckdb`:
 * - `NAME.duckdb`: the catalog: versions, saved STATE and the views, written only to switch versions (moments);
 * - `NAME.read.duckdb`: the same views and listing for readers, replaced whole (write, then rename) after
 *   every switch: `conversas query`, `tables`, the web app and BI tools open this one, so they never wait for
 *   a writer and never make one wait;
 * - `NAME.parquet/LAYER/TABLE/version=N/data.parquet`: every kept version's rows, for DuckDB's views and for
 *   any other engine (Spark, Trino, Polars, BigQuery external tables);
 * - `NAME.staging/SOURCE.duckdb`: a running (or interrupted) sync's rows and STATE, one file per source.
 * Every file and folder is its owner's only (the rows are people's conversations).
 */
import { chmodSync, mkdirSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';

export interface CatalogLayout {
  /** The catalog file, as given. */
  db: string;
  read: string;
  parquet: string;
  staging: string;
}

export function layoutOf(db: string): CatalogLayout {
  const path = resolve(db);
  const base = join(dirname(path), basename(path).replace(/\.duckdb$/i, ''));
  return { db: path, read: `${base}.read.duckdb`, parquet: `${base}.parquet`, staging: `${base}.staging` };
}

/** A source's staging file: its name made safe for a file name (and told apart when that changed it). */
export function stagingFile(layout: CatalogLayout, source: string): string {
  const safe = source.replace(/[^A-Za-z0-9_.-]/g, '_');
  const suffix = safe === source ? '' : `-${Buffer.from(source).toString('hex').slice(0, 16)}`;
  return join(layout.staging, `${safe}${suffix}.duckdb`);
}

/** The folder of one version's Parquet files. Layer and table names are SQL identifiers of ours, safe as paths. */
export function versionDir(layout: CatalogLayout, layer: string, table: string, version: number): string {
  return join(layout.parquet, layer, table, `version=${version}`);
}

/** A folder only its owner can enter (made if missing; tightened if it was not). */
export function privateDir(path: string): void {
  mkdirSync(path, { recursive: true, mode: 0o700 });
  chmodSync(path, 0o700);
}
