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

export interface VersionInfo {
  layer: string;
  table: string;
  version: number;
  status: 'pending' | 'ready' | 'current' | 'superseded';
  rows: number | null;
  created_at: string;
  activated_at: string | null;
  superseded_at: string | null;
  physical: string;
}

export interface Pending {
  physical: string;
  version: number;
  /** The next `_sdc_sequence` to use (continues after a resumed load's rows). */
  nextSequence: number;
}
