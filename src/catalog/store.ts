/**
 * The DuckDB catalog: a layer is a schema; each table is a view on its current version; every version is a
 * real table in `_conversas_versions`, listed in `_conversas.versions` with the source that wrote it. How
 * versions become current is in versions.ts. `conversas query`, `tables` and `versions` open it read-only.
 */
import { rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { DuckDBConnection, DuckDBInstance as Instance, DuckDBValue } from '@duckdb/node-api';
import { UserError } from '../errors.js';
import { quoteString as sqlString, readJsonColumns, type Column } from './columns.js';
import { insertFittingSql, misfitsAsRows, misfitsSql, rawFileAsRows } from './raw-rows.js';
import type { SpoolFile } from './spool.js';
import type { Pending, TableInfo, TableTarget, VersionInfo, VersionMode } from './types.js';
import { META, qualified, Versions, VERSIONS_SCHEMA, type Activated } from './versions.js';

export type { Pending, TableInfo, TableTarget, VersionInfo, VersionMode } from './types.js';
export type { Activated } from './versions.js';
export { SANDBOX_SOURCE, VERSIONS_SCHEMA } from './versions.js';

/**
 * DuckDB's API is a CommonJS package: loaded with require, Node does not scan its files for named exports
 * as an ESM import does (about a tenth of a second of every command's start).
 */
const { DuckDBInstance } = createRequire(import.meta.url)(
  '@duckdb/node-api',
) as typeof import('@duckdb/node-api');

/** What DuckDB says when another process holds the file (not any message that happens to contain "lock"). */
const LOCKED = /Could not set lock on file|Conflicting lock is held/i;

/** One file of rows for a pending table: rows made by rowLine, or RECORD lines for DuckDB to parse (`raw`). */
export interface Batch {
  stream: string;
  pending: Pending;
  file: SpoolFile;
  columns: Column[];
  raw: boolean;
}

/** DuckDB's default largest JSON object, raised for a file that holds a larger line. */
const objectSize = (file: SpoolFile): number => Math.max(16 * 1024 * 1024, file.longest + 1024);

interface StateToSave {
  source: string;
  value: unknown;
  settings?: unknown;
}

export interface SavedState {
  value: unknown;
  /** What the sync that saved it was of (see pipeline/sync.ts); null for a state saved by `conversas load`. */
  settings: unknown;
}

export interface OpenOptions {
  now?: () => Date;
  /** For reads: no write, and (for `conversas query`) no file system access from SQL. */
  readOnly?: boolean;
}

export class CatalogStore {
  private readonly versions_: Versions;

  private constructor(
    private readonly instance: Instance,
    private readonly db: DuckDBConnection,
    private readonly now: () => Date,
  ) {
    this.versions_ = new Versions(db, (sql, values) => this.rows(sql, values), now);
  }

  static async open(path: string, options: OpenOptions = {}): Promise<CatalogStore> {
    let instance: Instance;
    try {
      instance = await DuckDBInstance.create(
        path,
        options.readOnly ? { access_mode: 'READ_ONLY', enable_external_access: 'false' } : {},
      );
    } catch (error) {
      const message = (error as Error).message;
      if (LOCKED.test(message))
        throw new UserError(
          `the catalog ${path} is in use by another process (a running sync, schedule, query or the web app?)`,
        );
      throw new UserError(
        `cannot open the catalog ${path}: it is damaged or not a DuckDB catalog (${message.split('\n')[0]})`,
      );
    }
    const db = await instance.connect();
    const store = new CatalogStore(instance, db, options.now ?? (() => new Date()));
    if (options.readOnly) {
      // Configuration stays as set: SQL cannot turn file access back on.
      await db.run(`SET lock_configuration = true`);
      return store;
    }
    await db.run(`CREATE SCHEMA IF NOT EXISTS ${META}; CREATE SCHEMA IF NOT EXISTS ${VERSIONS_SCHEMA};
      CREATE TABLE IF NOT EXISTS ${META}.versions (
        layer VARCHAR, table_name VARCHAR, folder VARCHAR, stream VARCHAR, version INTEGER, singer_version BIGINT,
        physical VARCHAR, rows BIGINT, status VARCHAR, created_at TIMESTAMPTZ, activated_at TIMESTAMPTZ, superseded_at TIMESTAMPTZ);
      ALTER TABLE ${META}.versions ADD COLUMN IF NOT EXISTS source VARCHAR;
      ALTER TABLE ${META}.versions ADD COLUMN IF NOT EXISTS keys JSON;
      ALTER TABLE ${META}.versions ADD COLUMN IF NOT EXISTS mode VARCHAR;
      CREATE TABLE IF NOT EXISTS ${META}.state (source VARCHAR PRIMARY KEY, value JSON, updated_at TIMESTAMPTZ);
      ALTER TABLE ${META}.state ADD COLUMN IF NOT EXISTS settings JSON;`);
    return store;
  }

  async close(): Promise<void> {
    this.db.closeSync();
    this.instance.closeSync();
  }

  private async rows(sql: string, values: DuckDBValue[] = []): Promise<Record<string, unknown>[]> {
    return (await this.db.runAndReadAll(sql, values)).getRowObjectsJson() as Record<string, unknown>[];
  }

  private async transaction<T>(work: () => Promise<T>): Promise<T> {
    await this.db.run('BEGIN TRANSACTION');
    try {
      const result = await work();
      await this.db.run('COMMIT');
      return result;
    } catch (error) {
      await this.db.run('ROLLBACK').catch(() => undefined);
      throw error;
    }
  }

  /** The rows of a query of (sequence, record) a chunk at a time: they may be as many as a batch holds. */
  private async *streamRows(sql: string): AsyncGenerator<{ sequence: number; record: string }> {
    const result = await this.db.stream(sql);
    for (
      let chunk = await result.fetchChunk();
      chunk && chunk.rowCount > 0;
      chunk = await result.fetchChunk()
    )
      for (const [sequence, record] of chunk.getRows())
        yield { sequence: Number(sequence), record: String(record) };
  }

  /** The pending version of a table for this Singer version: resumed if it exists, else started. */
  ensurePending(
    target: TableTarget,
    source: string,
    singerVersion: number,
    columns: Column[],
  ): Promise<Pending> {
    return this.transaction(() => this.versions_.ensurePending(target, source, singerVersion, columns));
  }

  /**
   * How the RECORD lines loaded as they came were made into rows (in transactions that may yet roll back);
   * `redoneFiles`: batch files done again through rowLine because a file of their transaction was unreadable.
   */
  readonly rawLines = { parsedByDuckdb: 0, byRowLine: 0, redoneFiles: 0 };

  /**
   * Bulk-loads batch files into pending tables and saves the tap's STATE, all in one transaction. When DuckDB
   * cannot read a file of RECORD lines as they came (a line that is not JSON, say), the transaction is
   * undone and done again with those lines through rowLine, which names a line that is wrong.
   */
  async append(batches: Batch[], state?: StateToSave): Promise<void> {
    try {
      await this.transaction(() => this.appendAll(batches, state));
    } catch (error) {
      if (error instanceof UserError || !batches.some((b) => b.raw)) throw error;
      const converted: Batch[] = [];
      try {
        for (const b of batches) {
          if (!b.raw) converted.push(b);
          else {
            this.rawLines.redoneFiles += 1;
            const file = await rawFileAsRows(b);
            if (file) converted.push({ ...b, file, raw: false });
          }
        }
        await this.transaction(() => this.appendAll(converted, state));
      } finally {
        for (const b of converted) if (!batches.includes(b)) rmSync(b.file.path, { force: true });
      }
    }
  }

  private async appendAll(batches: Batch[], state?: StateToSave): Promise<void> {
    for (const batch of batches) await (batch.raw ? this.appendRaw(batch) : this.appendRows(batch));
    if (state) await this.saveState(state);
  }

  private async saveState(state: StateToSave): Promise<void> {
    await this.db.run(
      `INSERT OR REPLACE INTO ${META}.state VALUES ($1, $2::JSON, $3::TIMESTAMPTZ, $4::JSON)`,
      [
        state.source,
        JSON.stringify(state.value),
        this.now().toISOString(),
        state.settings === undefined ? null : JSON.stringify(state.settings),
      ],
    );
  }

  private async appendRows({ pending, file, columns }: Batch): Promise<void> {
    await this.db.run(
      `INSERT INTO ${qualified(VERSIONS_SCHEMA, pending.physical)} BY NAME SELECT * FROM read_json(${sqlString(file.path)}, format = 'newline_delimited', columns = ${readJsonColumns(columns)}, maximum_object_size = ${objectSize(file)})`,
    );
  }

  /** RECORD lines: DuckDB inserts the rows that fit; the others, if its count says there are any, take rowLine's path. */
  private async appendRaw(batch: Batch): Promise<void> {
    const table = qualified(VERSIONS_SCHEMA, batch.pending.physical);
    const size = objectSize(batch.file);
    const inserted = (await this.db.run(insertFittingSql(table, batch.file.path, batch.columns, size)))
      .rowsChanged;
    this.rawLines.parsedByDuckdb += inserted;
    this.rawLines.byRowLine += batch.file.lines - inserted;
    if (inserted === batch.file.lines) return;
    const rows = await misfitsAsRows(
      batch,
      this.streamRows(misfitsSql(batch.file.path, batch.columns, size)),
    );
    if (!rows) return;
    try {
      await this.appendRows({ ...batch, file: rows, raw: false });
    } finally {
      rmSync(rows.path, { force: true });
    }
  }

  /** Drops every table of a source (views and versions) and its saved STATE. */
  dropSource(source: string): Promise<void> {
    return this.transaction(() => this.versions_.dropSource(source));
  }

  /** A stream is whole: its version is ready, to become current with the rest of the sync. */
  markReady(target: TableTarget, pending: Pending, keys: string[], mode: VersionMode): Promise<void> {
    return this.transaction(() => this.versions_.markReady(target, pending, keys, mode));
  }

  /** The pending version an interrupted run left for this table and Singer version, if any. */
  findPending(target: TableTarget, source: string, singerVersion: number): Promise<Pending | undefined> {
    return this.versions_.findPending(target, source, singerVersion);
  }

  /**
   * The sync is whole: every ready version of the source becomes current, what is left pending goes, and the
   * STATE that says so (if given) is saved, all in one transaction: a kill before its commit leaves the last
   * STATE, which resumes into this same switch.
   */
  activateReady(source: string, retentionDays: number, state?: StateToSave): Promise<Activated[]> {
    return this.transaction(async () => {
      const activated = await this.versions_.activateReady(source, retentionDays);
      await this.versions_.discardUnfinished(source);
      if (state) await this.saveState(state);
      return activated;
    });
  }

  /** A sync starts over: the unfinished versions of the last one go. */
  discardUnfinished(source: string): Promise<void> {
    return this.transaction(() => this.versions_.discardUnfinished(source));
  }

  async loadState(source: string): Promise<SavedState | undefined> {
    const [row] = await this.rows(`SELECT value, settings FROM ${META}.state WHERE source = $1`, [source]);
    if (!row) return undefined;
    return {
      value: JSON.parse(String(row['value'])) as unknown,
      settings: row['settings'] === null ? null : (JSON.parse(String(row['settings'])) as unknown),
    };
  }

  async tables(): Promise<TableInfo[]> {
    const rows = await this.rows(
      `SELECT layer, folder, table_name, stream, rows, version, activated_at::VARCHAR AS last_sync FROM ${META}.versions WHERE status = 'current' ORDER BY layer, table_name`,
    );
    return rows.map((r) => ({
      layer: String(r['layer']),
      folder: String(r['folder'] ?? ''),
      table: String(r['table_name']),
      stream: String(r['stream']),
      rows: Number(r['rows']),
      version: Number(r['version']),
      last_sync: String(r['last_sync']),
    }));
  }

  /** Versions of a table named `name` or `layer.name`. */
  async versions(table: string): Promise<VersionInfo[]> {
    const [layer, name] = table.includes('.')
      ? (table.split('.', 2) as [string, string])
      : [undefined, table];
    const rows = await this.rows(
      `SELECT layer, table_name, version, status, coalesce(mode, 'full') AS mode, rows, created_at::VARCHAR AS c, activated_at::VARCHAR AS a, superseded_at::VARCHAR AS s, physical
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
    }));
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
