/**
 * The catalog for readers: the read file (layout.ts), opened read-only. It is a copy the last switch published,
 * so reading never waits for a sync and never makes one wait; SQL run here cannot write, and cannot touch any
 * file but the catalog's Parquet.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { DuckDBConnection, DuckDBInstance as Instance } from '@duckdb/node-api';
import { UserError } from '../errors.js';
import { META, quoteSqlList, VERSIONS_SCHEMA, withCatalogFile } from './catalog-file.js';
import { quoteString } from './columns.js';
import { layoutOf, type CatalogLayout } from './layout.js';
import { parseSaved, type SavedState } from './store.js';
import type { TableInfo, VersionInfo, VersionMode } from './types.js';

const { DuckDBInstance } = createRequire(import.meta.url)(
  '@duckdb/node-api',
) as typeof import('@duckdb/node-api');

export interface TableLocation extends TableInfo {
  /** The folder of the current version's Parquet files. */
  parquet: string | null;
  /** The source whose syncs write it. */
  source: string | null;
}

/** A view of the service layer, as the catalog lists it. */
export interface ModelInfo {
  layer: string;
  name: string;
  source: string;
  model: string;
  time_zone: string;
  /** When the last switch of its source made it. */
  made_at: string;
}

export class CatalogReader {
  private constructor(
    private readonly instance: Instance,
    private readonly db: DuckDBConnection,
    readonly layout: CatalogLayout,
  ) {}

  /**
   * Opens the read file; a catalog from before read files gets one first. `memoryLimit` bounds what one query
   * may hold (the web app's SQL box sets it; DuckDB spills or fails past it rather than taking the machine).
   */
  static async open(path: string, o: { memoryLimit?: string } = {}): Promise<CatalogReader> {
    const layout = layoutOf(path);
    if (!existsSync(layout.read)) {
      if (!existsSync(layout.db))
        throw new UserError(`no catalog at ${path}: run conversas sync first (or pass --db)`);
      await withCatalogFile(layout, async () => undefined);
    }
    let instance: Instance;
    try {
      instance = await DuckDBInstance.create(layout.read, { access_mode: 'READ_ONLY' });
    } catch (error) {
      throw new UserError(
        `cannot open ${layout.read}: it is damaged or not a DuckDB file (${(error as Error).message.split('\n')[0]})`,
      );
    }
    const db = await instance.connect();
    // Views read the catalog's Parquet; nothing else is reachable, and SQL cannot change that.
    await db.run(`SET allowed_directories = ${quoteSqlList([`${layout.parquet}/`])}`);
    if (o.memoryLimit) await db.run(`SET memory_limit = ${quoteString(o.memoryLimit)}`);
    await db.run(`SET enable_external_access = false`);
    await db.run(`SET lock_configuration = true`);
    return new CatalogReader(instance, db, layout);
  }

  async close(): Promise<void> {
    this.db.closeSync();
    this.instance.closeSync();
  }

  private async rows(sql: string, values: (string | null)[] = []): Promise<Record<string, unknown>[]> {
    return (await this.db.runAndReadAll(sql, values)).getRowObjectsJson() as Record<string, unknown>[];
  }

  /** A source's STATE as of the last switch (a sync under way keeps its own in staging). */
  async loadState(source: string): Promise<SavedState | undefined> {
    const [row] = await this.rows(
      `SELECT value::VARCHAR AS value, settings::VARCHAR AS settings FROM ${META}.state WHERE source = $1`,
      [source],
    );
    return row ? parseSaved(row) : undefined;
  }

  async tables(): Promise<TableLocation[]> {
    const rows = await this.rows(
      `SELECT layer, folder, table_name, stream, rows, version, activated_at::VARCHAR AS last_sync, location, source FROM ${META}.versions WHERE status = 'current' ORDER BY layer, table_name`,
    );
    const tables = rows.map((r): TableLocation => ({
      layer: String(r['layer']),
      folder: String(r['folder'] ?? ''),
      table: String(r['table_name']),
      stream: String(r['stream']),
      rows: Number(r['rows']),
      version: Number(r['version']),
      last_sync: String(r['last_sync']),
      kind: 'table',
      parquet: (r['location'] as string | null) ?? null,
      source: (r['source'] as string | null) ?? null,
    }));
    const views = (await this.models()).map((m): TableLocation => ({
      layer: m.layer,
      folder: '',
      table: m.name,
      stream: '',
      rows: null,
      version: null,
      last_sync: m.made_at,
      kind: 'view',
      model: m.model,
      parquet: null,
      source: m.source,
    }));
    return [...tables, ...views].sort(
      (a, b) => a.layer.localeCompare(b.layer) || a.table.localeCompare(b.table),
    );
  }

  /** The views of the service layer (none in a catalog made before there was one). */
  async models(): Promise<ModelInfo[]> {
    const [known] = await this.rows(
      `SELECT count(*) AS n FROM duckdb_tables() WHERE database_name = current_database() AND schema_name = $1 AND table_name = 'models'`,
      [META],
    );
    if (!Number(known?.['n'])) return [];
    return (
      await this.rows(
        `SELECT layer, name, source, model, time_zone, created_at::VARCHAR AS made_at FROM ${META}.models ORDER BY layer, name`,
      )
    ).map((r) => ({
      layer: String(r['layer']),
      name: String(r['name']),
      source: String(r['source']),
      model: String(r['model']),
      time_zone: String(r['time_zone']),
      made_at: String(r['made_at']),
    }));
  }

  /** Versions of a table named `name` or `layer.name`. */
  async versions(table: string): Promise<VersionInfo[]> {
    const [layer, name] = table.includes('.')
      ? (table.split('.', 2) as [string, string])
      : [undefined, table];
    const rows = await this.rows(
      `SELECT layer, table_name, version, status, coalesce(mode, 'full') AS mode, rows, created_at::VARCHAR AS c, activated_at::VARCHAR AS a, superseded_at::VARCHAR AS s, physical, location
       FROM ${META}.versions WHERE table_name = $1 AND ($2::VARCHAR IS NULL OR layer = $2) ORDER BY layer, version DESC`,
      [name, layer ?? null],
    );
    return rows.map((r) => ({
      layer: String(r['layer']),
      table: String(r['table_name']),
      version: Number(r['version']),
      status: String(r['status']) as VersionInfo['status'],
      mode: String(r['mode']) as VersionMode,
      rows: r['rows'] === null ? null : Number(r['rows']),
      created_at: String(r['c']),
      activated_at: (r['a'] as string | null) ?? null,
      superseded_at: (r['s'] as string | null) ?? null,
      physical: `${VERSIONS_SCHEMA}.${String(r['physical'])}`,
      parquet: (r['location'] as string | null) ?? null,
    }));
  }

  /**
   * At most `maxRows` rows of a query, read as DuckDB streams them (a query of millions of rows is never held
   * whole), and whether there were more; stopped with a clear error after `timeoutMs`.
   */
  async queryBounded(
    sql: string,
    o: { maxRows: number; timeoutMs: number },
  ): Promise<{ rows: Record<string, unknown>[]; more: boolean }> {
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      this.db.interrupt();
    }, o.timeoutMs);
    const rows: Record<string, unknown>[] = [];
    try {
      const result = await this.db.stream(sql);
      for await (const chunk of result.yieldRowObjectJson()) {
        for (const row of chunk) {
          if (rows.length === o.maxRows) return { rows, more: true };
          rows.push(row);
        }
      }
      return { rows, more: false };
    } catch (error) {
      if (timedOut)
        throw new UserError(
          `the query was stopped after ${o.timeoutMs / 1000} s (the limit of a query here)`,
        );
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Runs a query (for tests, the README's examples and `conversas query`). */
  async query(sql: string): Promise<Record<string, unknown>[]> {
    return this.rows(sql);
  }

  /**
   * A query's rows as JSON lines, typed as DuckDB types them (BIGINT and DECIMAL as numbers, not strings): the
   * rows of a query are made JSON by DuckDB itself. A statement that is no query (PRAGMA, SHOW, one that
   * fails) is run as it is, and its rows or its error are DuckDB's own.
   */
  async queryJsonLines(sql: string): Promise<string[]> {
    const query = sql.trim().replace(/;\s*$/, '');
    try {
      const rows = await this.rows(`SELECT to_json(_q)::VARCHAR AS j FROM (${query}) AS _q`);
      return rows.map((r) => String(r['j']));
    } catch {
      return (await this.rows(sql)).map((r) => JSON.stringify(r));
    }
  }
}
