/**
 * Table versions in a source's staging file: a new version fills a pending table (resumable across runs);
 * when its stream is whole it becomes ready; when the whole sync is done, the ready versions are switched in
 * the catalog (switch.ts) and leave staging. Version numbers continue the catalog's (a snapshot taken when the
 * staging file is opened: only this source writes its tables, and only one process stages a source at once).
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { UserError } from '../errors.js';
import { META, qualified, VERSIONS_SCHEMA, type Rows } from './catalog-file.js';
import { EXTRA_COLUMN, quoteIdent, quoteString, SEQUENCE_COLUMN, sqlType, type Column } from './columns.js';
import { checkOwner, physicalName, type CurrentVersion, type ReadyVersion } from './switch.js';
import type { Pending, TableTarget, VersionMode } from './types.js';

/** What the catalog held when staging was opened. */
export interface CatalogSnapshot {
  current: Map<string, CurrentVersion>;
  maxVersion: Map<string, number>;
}

const tableKey = (t: { layer: string; name: string }): string => `${t.layer}.${t.name}`;

/** The version bookkeeping of one staging file; callers run these inside the store's transactions. */
export class Versions {
  constructor(
    private readonly db: DuckDBConnection,
    private readonly rows: Rows,
    private readonly now: () => Date,
    private readonly snapshot: CatalogSnapshot,
  ) {}

  /** The pending version of a table for this Singer version, if an interrupted run left one. */
  async findPending(
    target: TableTarget,
    source: string,
    singerVersion: number,
  ): Promise<Pending | undefined> {
    const [row] = await this.rows(
      `SELECT version, physical FROM ${META}.versions WHERE layer = $1 AND table_name = $2 AND status = 'pending' AND singer_version = $3 AND source = $4`,
      [target.layer, target.name, singerVersion, source],
    );
    if (!row) return undefined;
    const [max] = await this.rows(
      `SELECT coalesce(max(${SEQUENCE_COLUMN}), 0) AS m FROM ${qualified(VERSIONS_SCHEMA, String(row['physical']))}`,
    );
    return {
      physical: String(row['physical']),
      version: Number(row['version']),
      nextSequence: Number(max!['m']) + 1,
    };
  }

  async ensurePending(
    target: TableTarget,
    source: string,
    singerVersion: number,
    columns: Column[],
  ): Promise<Pending> {
    checkOwner(target, source, this.snapshot.current.get(tableKey(target))?.source);
    const unfinished = await this.rows(
      `SELECT version, singer_version, physical, status FROM ${META}.versions WHERE layer = $1 AND table_name = $2 AND status = 'pending'`,
      [target.layer, target.name],
    );
    for (const row of unfinished) {
      if (Number(row['singer_version']) === singerVersion) {
        const found = await this.findPending(target, source, singerVersion);
        if (found) return found;
      }
      // A pending version of an abandoned run: never activated, so nobody reads it.
      await this.drop(target, String(row['physical']));
    }
    const [last] = await this.rows(
      `SELECT coalesce(max(version), 0) AS v FROM ${META}.versions WHERE layer = $1 AND table_name = $2`,
      [target.layer, target.name],
    );
    const version = Math.max(Number(last!['v']), this.snapshot.maxVersion.get(tableKey(target)) ?? 0) + 1;
    const physical = `${physicalName(target, version)}__pending`;
    const defs = [
      ...columns.map((c) => `${quoteIdent(c.name)} ${sqlType(c.type)}`),
      `${SEQUENCE_COLUMN} BIGINT`,
      `${EXTRA_COLUMN} JSON`,
    ];
    await this.db.run(`CREATE TABLE ${qualified(VERSIONS_SCHEMA, physical)} (${defs.join(', ')})`);
    await this.db.run(
      `INSERT INTO ${META}.versions (layer, table_name, folder, stream, version, singer_version, physical, status, created_at, source) VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending', $8::TIMESTAMPTZ, $9)`,
      [
        target.layer,
        target.name,
        target.folder,
        target.stream,
        version,
        singerVersion,
        physical,
        this.now().toISOString(),
        source,
      ],
    );
    return { physical, version, nextSequence: 1 };
  }

  /**
   * A stream is whole: its version waits, ready, for the end of the sync. An older ready version is dropped.
   * A `merge` version holds only new rows: it becomes the current rows with these merged in by key.
   */
  async markReady(target: TableTarget, pending: Pending, keys: string[], mode: VersionMode): Promise<void> {
    await this.checkKeys(target, pending.physical, keys);
    const older = await this.rows(
      `SELECT physical FROM ${META}.versions WHERE layer = $1 AND table_name = $2 AND status = 'ready' AND physical <> $3`,
      [target.layer, target.name, pending.physical],
    );
    for (const row of older) await this.drop(target, String(row['physical']));
    await this.db.run(
      `UPDATE ${META}.versions SET status = 'ready', keys = $4::JSON, mode = $5 WHERE layer = $1 AND table_name = $2 AND physical = $3`,
      [target.layer, target.name, pending.physical, JSON.stringify(keys), mode],
    );
  }

  /** A record without its key could never be merged or told apart: the stream is refused, by name. */
  private async checkKeys(target: TableTarget, physical: string, keys: string[]): Promise<void> {
    if (keys.length === 0) return;
    // A key that did not fit its column (a string for an integer id) is not missing: it is kept in _extra.
    const path = (k: string): string => quoteString(`$."${k.replace(/["\\]/g, '\\$&')}"`);
    const missing = keys
      .map(
        (k) => `(${quoteIdent(k)} IS NULL AND NOT coalesce(json_exists(${EXTRA_COLUMN}, ${path(k)}), false))`,
      )
      .join(' OR ');
    const [row] = await this.rows(
      `SELECT count(*) AS n FROM ${qualified(VERSIONS_SCHEMA, physical)} WHERE ${missing}`,
    );
    const n = Number(row!['n']);
    if (n > 0)
      throw new UserError(
        `stream "${target.stream}": ${n} record(s) without a value for its key (${keys.join(', ')}); refused: a record without its key cannot be merged or told apart`,
      );
  }

  /** The ready versions of a source, to switch. */
  async ready(source: string): Promise<ReadyVersion[]> {
    const rows = await this.rows(
      `SELECT layer, table_name, folder, stream, version, singer_version, physical, keys::VARCHAR AS keys, coalesce(mode, 'full') AS mode, created_at::VARCHAR AS created FROM ${META}.versions WHERE source = $1 AND status = 'ready' ORDER BY layer, table_name`,
      [source],
    );
    return rows.map((row) => ({
      target: {
        layer: String(row['layer']),
        name: String(row['table_name']),
        folder: String(row['folder'] ?? ''),
        stream: String(row['stream']),
      },
      version: Number(row['version']),
      singerVersion: Number(row['singer_version']),
      staged: String(row['physical']),
      keys: JSON.parse(String(row['keys'] ?? '[]')) as string[],
      mode: String(row['mode']) as VersionMode,
      createdAt: String(row['created']),
    }));
  }

  /** Drops a source's pending and ready versions: a sync that starts over leaves nothing of the last one. */
  async discardUnfinished(source: string): Promise<void> {
    const rows = await this.rows(
      `SELECT layer, table_name, physical FROM ${META}.versions WHERE source = $1 AND status IN ('pending', 'ready')`,
      [source],
    );
    for (const row of rows)
      await this.drop(
        { layer: String(row['layer']), name: String(row['table_name']), folder: '', stream: '' },
        String(row['physical']),
      );
  }

  /** Versions the catalog already has (a switch committed before a kill let staging forget them) go. */
  async forgetSwitched(): Promise<void> {
    const rows = await this.rows(`SELECT layer, table_name, version, physical FROM ${META}.versions`);
    for (const row of rows) {
      const target = { layer: String(row['layer']), name: String(row['table_name']), folder: '', stream: '' };
      if (Number(row['version']) <= (this.snapshot.maxVersion.get(tableKey(target)) ?? 0))
        await this.drop(target, String(row['physical']));
    }
  }

  async drop(target: TableTarget, physical: string): Promise<void> {
    await this.db.run(`DROP TABLE IF EXISTS ${qualified(VERSIONS_SCHEMA, physical)}`);
    await this.db.run(`DELETE FROM ${META}.versions WHERE layer = $1 AND table_name = $2 AND physical = $3`, [
      target.layer,
      target.name,
      physical,
    ]);
  }
}
