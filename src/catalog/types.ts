/** What the catalog holds and reports: where a stream lands, its tables and their versions. */
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
  stream: string;
  rows: number;
  version: number;
  last_sync: string;
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
