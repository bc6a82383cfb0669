/** What the catalog holds and reports: where a stream lands, its tables and their versions. */

/** The demo's source (`conversas sync --sandbox`): its tables and views may be taken over by a real source, never the reverse. */
export const SANDBOX_SOURCE = 'sandbox';
export interface TableTarget {
  stream: string;
  layer: string;
  folder: string;
  /** The table's full name in its layer: folder + prefix + table. */
  name: string;
}

export interface TableInfo {
  layer: string;
  folder: string;
  table: string;
  /** The stream it holds; empty for a view of the service layer. */
  stream: string;
  /** A view's rows are counted when read: null. */
  rows: number | null;
  /** A view has no versions: null. */
  version: number | null;
  last_sync: string;
  /** A table synced from a stream, or a view of the service layer (src/models) over such tables. */
  kind: 'table' | 'view';
  /** The service layer's model a view is (attendances, conversation_days, …). */
  model?: string;
}

/** A view of the service layer (src/models): made at every switch of its source, over the tables it reads. */
export interface ModelView {
  layer: string;
  name: string;
  model: string;
  /** The tables it reads: while one is missing from the catalog the view waits. */
  reads: TableTarget[];
  sql: string;
  /** The time zone its days are in (the source's). */
  timeZone: string;
}

/** How a version was made: a whole new table (`full`), or the previous one with new rows merged by key (`merge`). */
export type VersionMode = 'full' | 'merge';

export interface VersionInfo {
  layer: string;
  table: string;
  version: number;
  status: 'pending' | 'ready' | 'current' | 'superseded';
  mode: VersionMode;
  rows: number | null;
  created_at: string;
  activated_at: string | null;
  superseded_at: string | null;
  physical: string;
  /** The folder of its Parquet files. */
  parquet: string | null;
}

export interface Pending {
  physical: string;
  version: number;
  /** The next `_sdc_sequence` to use (continues after a resumed load's rows). */
  nextSequence: number;
}
