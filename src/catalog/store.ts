/**
 * A source's writes: its sync's rows and STATE go to its staging file (layout.ts), held by this process for
 * the whole sync (a second sync of the same source is refused at once); the catalog is opened only for
 * moments: a snapshot at the start, and the switch at the end (switch.ts). Readers use catalog/reader.ts.
 */
import { existsSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { DuckDBConnection, DuckDBInstance as Instance, DuckDBValue } from '@duckdb/node-api';
import { UserError } from '../errors.js';
import type { Logger } from '../log.js';
import {
  LOCKED,
  META,
  VERSIONS_SCHEMA,
  qualified,
  withCatalogFile,
  type CatalogSession,
  type SessionOptions,
} from './catalog-file.js';
import { quoteString as sqlString, readJsonColumns, type Column } from './columns.js';
import { layoutOf, privateDir, stagingFile, type CatalogLayout } from './layout.js';
import { insertFittingSql, misfitsAsRows, misfitsSql, rawFileAsRows } from './raw-rows.js';
import type { SpoolFile } from './spool.js';
import {
  buildVersion,
  currentVersions,
  dropSourceIn,
  maxVersions,
  saveStateIn,
  switchVersions,
  type Activated,
  type BuiltVersion,
} from './switch.js';
import { switchModels } from './models.js';
import type { ModelView, Pending, TableTarget, VersionMode } from './types.js';
import { Versions, type CatalogSnapshot } from './versions.js';

export type { ModelView, Pending, TableInfo, TableTarget, VersionInfo, VersionMode } from './types.js';
export type { Activated } from './switch.js';
export { SANDBOX_SOURCE } from './switch.js';
export { VERSIONS_SCHEMA } from './catalog-file.js';

/**
 * DuckDB's API is a CommonJS package: loaded with require, Node does not scan its files for named exports
 * as an ESM import does (about a tenth of a second of every command's start).
 */
const { DuckDBInstance } = createRequire(import.meta.url)(
  '@duckdb/node-api',
) as typeof import('@duckdb/node-api');
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

export interface StateToSave {
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
  /** The source whose sync this is: its staging file, its tables, its STATE. */
  source: string;
  now?: () => Date;
  log?: Logger;
  /** How long a switch waits for the catalog (another source switching); told how long it held it. */
  catalog?: Pick<SessionOptions, 'waitMs' | 'onHeld'>;
}

/** The staging files this process holds open. */
const staging = new Set<string>();

export class CatalogStore {
  private readonly versions_: Versions;

  private constructor(
    private readonly instance: Instance,
    private readonly db: DuckDBConnection,
    private readonly file: string,
    private readonly layout: CatalogLayout,
    private readonly o: OpenOptions,
    private readonly now: () => Date,
    private readonly snapshot: CatalogSnapshot & { state: SavedState | undefined; stateAt: string | null },
  ) {
    this.versions_ = new Versions(db, (sql, values) => this.rows(sql, values), now, snapshot);
  }

  private get sessionOptions(): SessionOptions {
    return { ...this.o.catalog, ...(this.o.log ? { log: this.o.log } : {}) };
  }

  static async open(path: string, o: OpenOptions): Promise<CatalogStore> {
    const layout = layoutOf(path);
    privateDir(layout.staging);
    const file = stagingFile(layout, o.source);
    // DuckDB's lock keeps other processes out; this keeps out a second sync of the source in this one.
    if (staging.has(file))
      throw new UserError(`source "${o.source}" is already syncing (its staging file ${file} is in use)`);
    let instance: Instance;
    try {
      instance = await DuckDBInstance.create(file);
    } catch (error) {
      const message = (error as Error).message;
      if (LOCKED.test(message))
        throw new UserError(
          `source "${o.source}" is already syncing in another process (its staging file ${file} is in use)`,
        );
      throw new UserError(
        `cannot open ${file}: it is damaged (${message.split('\n')[0]}); delete it to start over`,
      );
    }
    staging.add(file);
    try {
      const db = await instance.connect();
      await db.run(`CREATE SCHEMA IF NOT EXISTS ${META}; CREATE SCHEMA IF NOT EXISTS ${VERSIONS_SCHEMA};
        CREATE TABLE IF NOT EXISTS ${META}.versions (
          layer VARCHAR, table_name VARCHAR, folder VARCHAR, stream VARCHAR, version INTEGER, singer_version BIGINT,
          physical VARCHAR, status VARCHAR, created_at TIMESTAMPTZ, source VARCHAR, keys JSON, mode VARCHAR);
        CREATE TABLE IF NOT EXISTS ${META}.state (source VARCHAR PRIMARY KEY, value JSON, updated_at TIMESTAMPTZ, settings JSON, base VARCHAR);`);
      // What the catalog holds now: version numbers, owners, current versions and this source's STATE.
      const snapshot = await withCatalogFile(
        layout,
        async (session) => {
          const [state] = await session.rows(
            `SELECT value::VARCHAR AS value, settings::VARCHAR AS settings, updated_at::VARCHAR AS at FROM ${META}.state WHERE source = $1`,
            [o.source],
          );
          return {
            current: await currentVersions(session),
            maxVersion: await maxVersions(session),
            state: state ? parseSaved(state) : undefined,
            stateAt: state ? String(state['at']) : null,
          };
        },
        { ...o.catalog, ...(o.log ? { log: o.log } : {}) },
      );
      const store = new CatalogStore(instance, db, file, layout, o, o.now ?? (() => new Date()), snapshot);
      await store.reconcile();
      return store;
    } catch (error) {
      instance.closeSync();
      staging.delete(file);
      throw error;
    }
  }

  /**
   * Staging that the catalog has overtaken (a switch committed just before a kill) is forgotten: a STATE staged
   * on top of another catalog STATE than the catalog's now, and any version the catalog already numbers.
   */
  private async reconcile(): Promise<void> {
    await this.transaction(async () => {
      await this.db.run(`DELETE FROM ${META}.state WHERE base IS DISTINCT FROM $1`, [this.snapshot.stateAt]);
      await this.versions_.forgetSwitched();
    });
  }

  async close(): Promise<void> {
    this.db.closeSync();
    this.instance.closeSync();
    staging.delete(this.file);
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
      `INSERT OR REPLACE INTO ${META}.state VALUES ($1, $2::JSON, $3::TIMESTAMPTZ, $4::JSON, $5)`,
      [
        state.source,
        JSON.stringify(state.value),
        this.now().toISOString(),
        state.settings === undefined ? null : JSON.stringify(state.settings),
        // The catalog STATE this one follows: a switch since makes it stale (see reconcile).
        this.snapshot.stateAt,
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

  /** A stream is whole: its version is ready, to become current with the rest of the sync. */
  markReady(target: TableTarget, pending: Pending, keys: string[], mode: VersionMode): Promise<void> {
    return this.transaction(() => this.versions_.markReady(target, pending, keys, mode));
  }

  /** The pending version an interrupted run left for this table and Singer version, if any. */
  findPending(target: TableTarget, source: string, singerVersion: number): Promise<Pending | undefined> {
    return this.versions_.findPending(target, source, singerVersion);
  }

  /**
   * The sync is whole: every ready version of the source becomes current, and the STATE that says so (if
   * given) is saved, in one short transaction of the catalog. The rows are written as Parquet first, from
   * staging, holding nothing anyone waits for. A kill before the catalog's commit leaves the last STATE in
   * staging, which resumes into this same switch; after it, staging is emptied.
   */
  async activateReady(
    source: string,
    retentionDays: number,
    state?: StateToSave,
    models?: ModelView[],
  ): Promise<Activated[]> {
    const ready = await this.versions_.ready(source);
    const built: BuiltVersion[] = [];
    const session = { db: this.db, rows: (sql: string, values?: DuckDBValue[]) => this.rows(sql, values) };
    for (const version of ready) {
      const key = `${version.target.layer}.${version.target.name}`;
      built.push(await buildVersion(session, this.layout, version, this.snapshot.current.get(key)));
    }
    // Without a STATE that completes the sync (another tap's input), the last one staged goes with the switch.
    const staged = state ? undefined : await this.loadStagedState(source);
    const saved = state ?? (staged && { source, ...staged });
    await pausePoint('switch:parquet-written');
    const expired = await withCatalogFile(
      this.layout,
      async (catalog) => {
        const gone = await switchVersions(catalog, source, built, retentionDays, this.now());
        if (saved) await saveStateIn(catalog.db, saved, this.now());
        await pausePoint('switch:in-transaction');
        return gone;
      },
      {
        ...this.sessionOptions,
        // The service layer over the tables just switched ([] drops the source's; undefined leaves it be), in
        // a transaction of its own: a view that cannot be made never holds back the data.
        ...(models
          ? {
              after: {
                what: 'making the service layer',
                work: async (catalog: CatalogSession) => {
                  this.madeModels = await switchModels(catalog, source, models, this.now(), this.o.log);
                },
              },
            }
          : {}),
        onHeld: (ms) => {
          this.o.catalog?.onHeld?.(ms);
          this.o.log?.info(
            `switch: ${built.length} table(s) current; the catalog was held ${(ms / 1000).toFixed(2)} s`,
          );
        },
      },
    );
    await pausePoint('switch:committed');
    for (const dir of expired) rmSync(dir, { recursive: true, force: true });
    await this.transaction(async () => {
      for (const v of built) await this.versions_.drop(v.target, v.staged);
      await this.versions_.discardUnfinished(source);
      await this.db.run(`DELETE FROM ${META}.state WHERE source = $1`, [source]);
    });
    for (const v of built)
      this.snapshot.current.set(`${v.target.layer}.${v.target.name}`, {
        version: v.version,
        location: v.location,
        source,
      });
    return built.map((v) => ({ target: v.target, version: v.version, rows: v.rows }));
  }

  /** The views of the service layer the last switch made (`layer.name`). */
  madeModels: string[] = [];

  /** A sync starts over: the unfinished versions of the last one go. */
  discardUnfinished(source: string): Promise<void> {
    return this.transaction(() => this.versions_.discardUnfinished(source));
  }

  /** The STATE to resume from: staging's (an interrupted sync) when newer than the catalog's (the last switch). */
  async loadState(source: string): Promise<SavedState | undefined> {
    return (await this.loadStagedState(source)) ?? this.snapshot.state;
  }

  private async loadStagedState(source: string): Promise<SavedState | undefined> {
    const [row] = await this.rows(
      `SELECT value::VARCHAR AS value, settings::VARCHAR AS settings FROM ${META}.state WHERE source = $1`,
      [source],
    );
    return row ? parseSaved(row) : undefined;
  }

  /**
   * Drops every table of a source (views, versions, their Parquet) and its saved STATE and staging. Refused
   * while the source syncs (its staging file is held).
   */
  static async dropSource(path: string, source: string, o: SessionOptions = {}): Promise<void> {
    const layout = layoutOf(path);
    const file = stagingFile(layout, source);
    if (existsSync(file)) {
      try {
        (await DuckDBInstance.create(file)).closeSync();
      } catch (error) {
        if (LOCKED.test((error as Error).message))
          throw new UserError(`source "${source}" is syncing: wait for it to end`);
      }
    }
    const dirs = await withCatalogFile(layout, (session) => dropSourceIn(session, source), o);
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
    rmSync(file, { force: true });
    rmSync(`${file}.wal`, { force: true });
  }
}

/**
 * Where a test kills a sync in its switch: with CONVERSAS_PAUSE_AT naming this point, the process says so on
 * stderr and waits to be killed (a point in the code, not a moment in time).
 */
async function pausePoint(name: string): Promise<void> {
  if (process.env['CONVERSAS_PAUSE_AT'] !== name) return;
  process.stderr.write(`paused at ${name}\n`);
  await new Promise(() => setInterval(() => undefined, 60_000));
}

/** A saved STATE row as its parts. */
export function parseSaved(row: Record<string, unknown>): SavedState {
  return {
    value: JSON.parse(String(row['value'])) as unknown,
    settings: row['settings'] === null ? null : (JSON.parse(String(row['settings'])) as unknown),
  };
}
