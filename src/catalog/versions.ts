/**
 * Table versions: a new version fills a pending table (resumable across runs); when its stream is whole it
 * becomes ready; when the whole sync is done, every ready version of the source becomes current in one
 * transaction (the view switches, the old version is superseded, versions past retention are dropped). A
 * failed or killed sync never touches a current version, and never leaves tables of two syncs current.
 */
import type { DuckDBConnection, DuckDBValue } from '@duckdb/node-api';
import { UserError } from '../errors.js';
import { EXTRA_COLUMN, quoteIdent, quoteString, SEQUENCE_COLUMN, sqlType, type Column } from './columns.js';
import type { Pending, TableTarget, VersionMode } from './types.js';

export const META = '_conversas';
export const VERSIONS_SCHEMA = '_conversas_versions';
/** The demo's source (`conversas sync --sandbox`): its tables may be taken over by a real source, never the reverse. */
export const SANDBOX_SOURCE = 'sandbox';

const physicalName = (t: TableTarget, version: number): string => `${t.layer}__${t.name}__v${version}`;
export const qualified = (schema: string, table: string): string =>
  `${quoteIdent(schema)}.${quoteIdent(table)}`;

export interface Activated {
  target: TableTarget;
  version: number;
  rows: number;
}

type Rows = (sql: string, values?: DuckDBValue[]) => Promise<Record<string, unknown>[]>;

/** The version bookkeeping of one open catalog; callers run these inside the store's transactions. */
export class Versions {
  constructor(
    private readonly db: DuckDBConnection,
    private readonly rows: Rows,
    private readonly now: () => Date,
  ) {}

  /** Refuses to write a table that holds another source's data (a real source's tables are never the demo's). */
  private async checkOwner(target: TableTarget, source: string): Promise<void> {
    const owners = await this.rows(
      `SELECT DISTINCT source FROM ${META}.versions WHERE layer = $1 AND table_name = $2 AND status IN ('current', 'ready', 'pending') AND source IS NOT NULL AND source <> $3`,
      [target.layer, target.name, source],
    );
    for (const row of owners) {
      const owner = String(row['source']);
      if (owner === SANDBOX_SOURCE) continue; // the demo's tables are disposable
      throw new UserError(
        `${target.layer}.${target.name} holds the data of source "${owner}"; ${source === SANDBOX_SOURCE ? 'the sandbox never writes into a real source' : `source "${source}" will not overwrite it`}: choose another --layer or --prefix, or another --db`,
      );
    }
  }

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
    await this.checkOwner(target, source);
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
    const version = Number(last!['v']) + 1;
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

  /** Every ready version of a source becomes current (the caller holds one transaction around it). */
  async activateReady(source: string, retentionDays: number): Promise<Activated[]> {
    const ready = await this.rows(
      `SELECT layer, table_name, folder, stream, version, physical, keys::VARCHAR AS keys, coalesce(mode, 'full') AS mode FROM ${META}.versions WHERE source = $1 AND status = 'ready' ORDER BY layer, table_name`,
      [source],
    );
    const out: Activated[] = [];
    for (const row of ready) {
      const target: TableTarget = {
        layer: String(row['layer']),
        name: String(row['table_name']),
        folder: String(row['folder'] ?? ''),
        stream: String(row['stream']),
      };
      const keys = JSON.parse(String(row['keys'] ?? '[]')) as string[];
      const pending = { physical: String(row['physical']), version: Number(row['version']), nextSequence: 0 };
      out.push({
        target,
        version: pending.version,
        rows: await this.activate(target, pending, keys, retentionDays, String(row['mode']) as VersionMode),
      });
    }
    return out;
  }

  /** Drops every table of a source: its views and all its versions (a source deleted with its tables). */
  async dropSource(source: string): Promise<void> {
    const rows = await this.rows(
      `SELECT DISTINCT layer, table_name FROM ${META}.versions WHERE source = $1 AND status = 'current'`,
      [source],
    );
    for (const row of rows)
      await this.db.run(`DROP VIEW IF EXISTS ${qualified(String(row['layer']), String(row['table_name']))}`);
    const versions = await this.rows(
      `SELECT layer, table_name, physical FROM ${META}.versions WHERE source = $1`,
      [source],
    );
    for (const row of versions)
      await this.drop(
        { layer: String(row['layer']), name: String(row['table_name']), folder: '', stream: '' },
        String(row['physical']),
      );
    await this.db.run(`DELETE FROM ${META}.state WHERE source = $1`, [source]);
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

  /**
   * Makes one version current: dedupes by key (a resumed sync may resend rows), switches the layer's view,
   * supersedes the old version, and drops superseded versions older than retention.
   */
  private async activate(
    target: TableTarget,
    pending: Pending,
    keys: string[],
    retentionDays: number,
    mode: VersionMode,
  ): Promise<number> {
    const source = qualified(VERSIONS_SCHEMA, pending.physical);
    const physical = physicalName(target, pending.version);
    const final = qualified(VERSIONS_SCHEMA, physical);
    if (mode === 'merge') await this.carryOver(target, pending.physical, keys);
    // Keep the latest row per key; without duplicates (the usual case) the pending table simply becomes
    // the version: no copy. Rows without a key are never merged.
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
    if (Number(counts!['extra']) === 0) await this.db.run(`ALTER TABLE ${final} DROP COLUMN ${EXTRA_COLUMN}`);
    await this.db.run(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(target.layer)}`);
    await this.db.run(
      `CREATE OR REPLACE VIEW ${qualified(target.layer, target.name)} AS SELECT * FROM ${final}`,
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
    await this.expire(target, retentionDays, mode);
    return rows;
  }

  /**
   * A merge version: the current version's rows whose key the new rows do not have join them (as older rows,
   * sequence 0), in the columns both share. Rows without a key are carried over as they are.
   */
  private async carryOver(target: TableTarget, pending: string, keys: string[]): Promise<void> {
    const [current] = await this.rows(
      `SELECT physical FROM ${META}.versions WHERE layer = $1 AND table_name = $2 AND status = 'current'`,
      [target.layer, target.name],
    );
    if (!current) return;
    const columnsOf = async (table: string): Promise<string[]> =>
      (
        await this.rows(
          `SELECT column_name FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2`,
          [VERSIONS_SCHEMA, table],
        )
      ).map((r) => String(r['column_name']));
    const old = new Set(await columnsOf(String(current['physical'])));
    if (old.size === 0)
      throw new UserError(
        `${target.layer}.${target.name}: the table of its current version (${VERSIONS_SCHEMA}.${String(current['physical'])}) was dropped outside conversas, so new rows cannot be merged into it; run a full sync (conversas sync --full) to make it whole again`,
      );
    const shared = (await columnsOf(pending)).filter((c) => old.has(c) && c !== SEQUENCE_COLUMN);
    const list = shared.map(quoteIdent).join(', ');
    const from = qualified(VERSIONS_SCHEMA, String(current['physical']));
    const into = qualified(VERSIONS_SCHEMA, pending);
    const sameKey = keys.map((k) => `n.${quoteIdent(k)} = c.${quoteIdent(k)}`).join(' AND ');
    await this.db.run(
      `INSERT INTO ${into} (${list}, ${SEQUENCE_COLUMN}) SELECT ${shared.map((c) => `c.${quoteIdent(c)}`).join(', ')}, 0 FROM ${from} c` +
        (keys.length ? ` WHERE NOT EXISTS (SELECT 1 FROM ${into} n WHERE ${sameKey})` : ''),
    );
  }

  /**
   * Drops versions superseded more than `retentionDays` ago. A merge version (an incremental run, perhaps every
   * few minutes) also drops the versions it and its like superseded earlier the same day: one a day is kept.
   */
  private async expire(target: TableTarget, retentionDays: number, mode: VersionMode): Promise<void> {
    const now = this.now();
    const cutoff = new Date(now.getTime() - retentionDays * 86_400_000).toISOString();
    const old = await this.rows(
      `SELECT physical FROM ${META}.versions WHERE layer = $1 AND table_name = $2 AND status = 'superseded' AND (superseded_at <= $3::TIMESTAMPTZ` +
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
    for (const row of old) await this.drop(target, String(row['physical']));
  }

  private async drop(target: TableTarget, physical: string): Promise<void> {
    await this.db.run(`DROP TABLE IF EXISTS ${qualified(VERSIONS_SCHEMA, physical)}`);
    await this.db.run(`DELETE FROM ${META}.versions WHERE layer = $1 AND table_name = $2 AND physical = $3`, [
      target.layer,
      target.name,
      physical,
    ]);
  }
}
