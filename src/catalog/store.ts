/**
 * The DuckDB catalog: a layer is a schema; each table is a view on its current version; every version is a
 * real table in `_conversas_versions`, listed in `_conversas.versions`. A new version fills a pending table
 * (resumable across runs), then one transaction switches the view, marks the old version superseded and
 * drops versions past retention. A failed or killed load never touches the current version.
 */
import { DuckDBInstance, type DuckDBConnection, type DuckDBValue } from '@duckdb/node-api';
import { UserError } from '../errors.js';
import {
  quoteIdent,
  readJsonColumns,
  sqlType,
  EXTRA_COLUMN,
  SEQUENCE_COLUMN,
  type Column,
} from './columns.js';
import type { Pending, TableInfo, TableTarget, VersionInfo } from './types.js';

export type { Pending, TableInfo, TableTarget, VersionInfo } from './types.js';

const META = '_conversas';
export const VERSIONS_SCHEMA = '_conversas_versions';
const physicalName = (t: TableTarget, version: number): string => `${t.layer}__${t.name}__v${version}`;
const qualified = (schema: string, table: string): string => `${quoteIdent(schema)}.${quoteIdent(table)}`;
const sqlString = (text: string): string => `'${text.replace(/'/g, "''")}'`;

export class CatalogStore {
  private constructor(
    private readonly instance: DuckDBInstance,
    private readonly db: DuckDBConnection,
    private readonly now: () => Date,
  ) {}

  static async open(path: string, options: { now?: () => Date } = {}): Promise<CatalogStore> {
    let instance: DuckDBInstance;
    try {
      instance = await DuckDBInstance.create(path);
    } catch (error) {
      const message = (error as Error).message;
      if (/lock/i.test(message))
        throw new UserError(`the catalog ${path} is in use by another process (a running sync or schedule?)`);
      throw new UserError(`cannot open the catalog ${path}: ${message.split('\n')[0]}`);
    }
    const db = await instance.connect();
    const store = new CatalogStore(instance, db, options.now ?? (() => new Date()));
    await db.run(`CREATE SCHEMA IF NOT EXISTS ${META}; CREATE SCHEMA IF NOT EXISTS ${VERSIONS_SCHEMA};
      CREATE TABLE IF NOT EXISTS ${META}.versions (
        layer VARCHAR, table_name VARCHAR, folder VARCHAR, stream VARCHAR, version INTEGER, singer_version BIGINT,
        physical VARCHAR, rows BIGINT, status VARCHAR, created_at TIMESTAMPTZ, activated_at TIMESTAMPTZ, superseded_at TIMESTAMPTZ);
      CREATE TABLE IF NOT EXISTS ${META}.state (source VARCHAR PRIMARY KEY, value JSON, updated_at TIMESTAMPTZ);`);
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

  /** The pending version of a table for this Singer version: resumed if it exists, else started. */
  async ensurePending(target: TableTarget, singerVersion: number, columns: Column[]): Promise<Pending> {
    return this.transaction(async () => {
      const pending = await this.rows(
        `SELECT version, singer_version, physical FROM ${META}.versions WHERE layer = $1 AND table_name = $2 AND status = 'pending'`,
        [target.layer, target.name],
      );
      for (const row of pending) {
        if (Number(row['singer_version']) === singerVersion) {
          const [max] = await this.rows(
            `SELECT coalesce(max(${SEQUENCE_COLUMN}), 0) AS m FROM ${qualified(VERSIONS_SCHEMA, String(row['physical']))}`,
          );
          return {
            physical: String(row['physical']),
            version: Number(row['version']),
            nextSequence: Number(max!['m']) + 1,
          };
        }
        // A pending version of an abandoned run: never activated, so nobody reads it.
        await this.db.run(`DROP TABLE IF EXISTS ${qualified(VERSIONS_SCHEMA, String(row['physical']))}`);
        await this.db.run(
          `DELETE FROM ${META}.versions WHERE layer = $1 AND table_name = $2 AND physical = $3`,
          [target.layer, target.name, String(row['physical'])],
        );
      }
      const [last] = await this.rows(
        `SELECT coalesce(max(version), 0) AS v FROM ${META}.versions WHERE layer = $1 AND table_name = $2`,
        [target.layer, target.name],
      );
      const version = Number(last!['v']) + 1;
      const physical = `${physicalName(target, version)}__pending`;
      const defs = [
        ...columns.map((c) => `${quoteIdent(c.name)} ${sqlType(c.type)}`),
        `${SEQUENCE_COLUMN} BIGINT`,
        `${EXTRA_COLUMN} JSON`,
      ];
      await this.db.run(`CREATE TABLE ${qualified(VERSIONS_SCHEMA, physical)} (${defs.join(', ')})`);
      await this.db.run(
        `INSERT INTO ${META}.versions (layer, table_name, folder, stream, version, singer_version, physical, status, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending', $8::TIMESTAMPTZ)`,
        [
          target.layer,
          target.name,
          target.folder,
          target.stream,
          version,
          singerVersion,
          physical,
          this.now().toISOString(),
        ],
      );
      return { physical, version, nextSequence: 1 };
    });
  }

  /** Bulk-loads NDJSON files into pending tables and saves the tap's STATE, all in one transaction. */
  async append(
    batches: { pending: Pending; file: string; columns: Column[] }[],
    state?: { source: string; value: unknown },
  ): Promise<void> {
    await this.transaction(async () => {
      for (const { pending, file, columns } of batches) {
        await this.db.run(
          `INSERT INTO ${qualified(VERSIONS_SCHEMA, pending.physical)} BY NAME SELECT * FROM read_json(${sqlString(file)}, format = 'newline_delimited', columns = ${readJsonColumns(columns)}, maximum_object_size = 268435456)`,
        );
      }
      if (state) {
        await this.db.run(`INSERT OR REPLACE INTO ${META}.state VALUES ($1, $2::JSON, $3::TIMESTAMPTZ)`, [
          state.source,
          JSON.stringify(state.value),
          this.now().toISOString(),
        ]);
      }
    });
  }

  /**
   * Makes a pending version current, atomically: dedupes by key (a resumed sync may resend rows), switches
   * the layer's view, supersedes the old version, and drops superseded versions older than retention.
   */
  async activate(
    target: TableTarget,
    pending: Pending,
    keys: string[],
    retentionDays: number,
  ): Promise<{ version: number; rows: number }> {
    return this.transaction(async () => {
      const source = qualified(VERSIONS_SCHEMA, pending.physical);
      const physical = physicalName(target, pending.version);
      const final = qualified(VERSIONS_SCHEMA, physical);
      // A resumed sync may have sent some rows twice: keep the latest per key. Without duplicates (the
      // usual case) the pending table simply becomes the version: no copy.
      // Rows without a key are never merged.
      const keyList = keys.map(quoteIdent).join(', ');
      const keyed = keys.map((k) => `${quoteIdent(k)} IS NOT NULL`).join(' AND ');
      const [dups] = keys.length
        ? await this.rows(
            `SELECT count(*) FILTER (WHERE ${keyed}) - count(DISTINCT (${keyList})) FILTER (WHERE ${keyed}) AS d FROM ${source}`,
          )
        : [{ d: 0 }];
      if (Number(dups!['d']) > 0) {
        await this.db.run(
          `CREATE TABLE ${final} AS SELECT * FROM ${source} QUALIFY NOT (${keyed}) OR row_number() OVER (PARTITION BY ${keyList} ORDER BY ${SEQUENCE_COLUMN} DESC) = 1 ORDER BY ${SEQUENCE_COLUMN}`,
        );
        await this.db.run(`DROP TABLE ${source}`);
      } else {
        await this.db.run(`ALTER TABLE ${source} RENAME TO ${quoteIdent(physical)}`);
      }
      await this.db.run(`ALTER TABLE ${final} DROP COLUMN ${SEQUENCE_COLUMN}`);
      const [counts] = await this.rows(`SELECT count(*) AS n, count(${EXTRA_COLUMN}) AS extra FROM ${final}`);
      if (Number(counts!['extra']) === 0)
        await this.db.run(`ALTER TABLE ${final} DROP COLUMN ${EXTRA_COLUMN}`);
      await this.db.run(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(target.layer)}`);
      await this.db.run(
        `CREATE OR REPLACE VIEW ${qualified(target.layer, target.name)} AS SELECT * FROM ${qualified(VERSIONS_SCHEMA, physical)}`,
      );
      const at = this.now().toISOString();
      await this.db.run(
        `UPDATE ${META}.versions SET status = 'superseded', superseded_at = $3::TIMESTAMPTZ WHERE layer = $1 AND table_name = $2 AND status = 'current'`,
        [target.layer, target.name, at],
      );
      const rows = Number(counts!['n']);
      await this.db.run(
        `UPDATE ${META}.versions SET status = 'current', physical = $3, rows = $4, activated_at = $5::TIMESTAMPTZ WHERE layer = $1 AND table_name = $2 AND physical = $6`,
        [target.layer, target.name, physical, rows, at, pending.physical],
      );
      await this.expire(target, retentionDays);
      return { version: pending.version, rows };
    });
  }

  /** Drops versions superseded more than `retentionDays` ago. */
  private async expire(target: TableTarget, retentionDays: number): Promise<void> {
    const cutoff = new Date(this.now().getTime() - retentionDays * 86_400_000).toISOString();
    const old = await this.rows(
      `SELECT physical FROM ${META}.versions WHERE layer = $1 AND table_name = $2 AND status = 'superseded' AND superseded_at <= $3::TIMESTAMPTZ`,
      [target.layer, target.name, cutoff],
    );
    for (const row of old) {
      await this.db.run(`DROP TABLE IF EXISTS ${qualified(VERSIONS_SCHEMA, String(row['physical']))}`);
      await this.db.run(
        `DELETE FROM ${META}.versions WHERE layer = $1 AND table_name = $2 AND physical = $3`,
        [target.layer, target.name, String(row['physical'])],
      );
    }
  }

  async loadState(source: string): Promise<unknown> {
    const [row] = await this.rows(`SELECT value FROM ${META}.state WHERE source = $1`, [source]);
    return row ? (JSON.parse(String(row['value'])) as unknown) : undefined;
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
      `SELECT layer, table_name, version, status, rows, created_at::VARCHAR AS c, activated_at::VARCHAR AS a, superseded_at::VARCHAR AS s, physical
       FROM ${META}.versions WHERE table_name = $1 AND ($2::VARCHAR IS NULL OR layer = $2) ORDER BY layer, version DESC`,
      [name, layer ?? null],
    );
    return rows.map((r) => ({
      layer: String(r['layer']),
      table: String(r['table_name']),
      version: Number(r['version']),
      status: String(r['status']) as VersionInfo['status'],
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
}
