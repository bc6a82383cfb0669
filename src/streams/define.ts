/**
 * What a stream is: data, checked by the compiler. A stream names its endpoint, how records sit in the
 * answer, its paging style, keys, schema, the settings it needs, its date window, what a refusal on a
 * lower plan means and, for a child, its parent; or, for a derived stream, its base and how a base record
 * becomes its records. Paging, retries, decryption, Singer output and state
 * exist once, elsewhere, and know no stream by name.
 */
import type { TapConfig } from '../config.js';
import type { HistoryPage } from '../crypto/jwe.js';
import type { Query } from '../http/client.js';
import type { DayRange, PageResult, Paging } from '../http/paging.js';
import type { JsonSchema } from './schema.js';

export type { DayRange, PageResult, Paging };

export type Record_ = Record<string, unknown>;

export interface ExtractContext {
  page: number;
  partition?: Record<string, string>;
  decrypt(jwe: string): Promise<HistoryPage>;
}

export type RecordSelector = (body: unknown, ctx: ExtractContext) => PageResult | Promise<PageResult>;

export interface ParentLink {
  stream: string;
  /** The parent record's key that names a partition. */
  key: (parent: Record_) => string | undefined;
  /** The query parameter that carries it. */
  param: string;
}

interface StreamBase {
  name: string;
  description: string;
  keys: string[];
  schema: JsonSchema;
  /** Settings without which the stream cannot run (and is not selected by default). */
  needs?: readonly (keyof TapConfig)[];
  /** What a 401/402/403 on this endpoint means besides a refused token (a feature of some plans only). */
  planAdvice?: string;
  /** The key is a display name (no id is known): two records with one key in a sync are reported. */
  keyIsName?: boolean;
  /**
   * INCREMENTAL is offered: the field that orders new records. An incremental run reads from the last run's
   * end minus `lookback_days` (a root stream through its window; a child through `changes`) and its records
   * are merged by key into the table.
   */
  incremental?: { replicationKey: string };
  /** Why the stream is FULL_TABLE only (discovery says so). */
  fullTableOnly?: string;
  /** Fields holding JSON text (not a string for people): their U+0000 escapes become U+FFFD like any text's. */
  jsonText?: readonly string[];
}

/** A stream read from an endpoint of its own. */
interface ReadStreamBase extends StreamBase {
  path: string;
  records: RecordSelector;
  paging: Paging;
  /** Query parameters, from config and the days the run reads (the read plan's). */
  query?: (config: TapConfig, days: DayRange) => Query;
  /** For a date-windowed listing: the days to ask for, from the days the run reads (the read plan's). */
  window?: (days: DayRange, config: TapConfig) => DayRange;
  base?: undefined;
}

export interface RootStream extends ReadStreamBase {
  parent?: undefined;
  /** Listings an incremental run reads after its window: records that change long after it (still open). */
  alsoWhenIncremental?: (() => readonly RootStream[]) | undefined;
}

/**
 * How an incremental run of a child finds the partitions that may have new records without listing every
 * parent: records touched since a moment, and records still open (read again only when their fingerprint moved).
 */
export interface ChangedPartitions {
  /** A listing of records opened since a day (read over the days from that day). */
  recent: RootStream;
  /** Whether a record of `recent` was touched at or after `since` (epoch ms): the listing filters by day only. */
  touchedSince(record: Record_, since: number): boolean;
  /** When a record was opened (epoch ms): the day the listing filters on. */
  openedAt(record: Record_): number | undefined;
  /** When a record stopped changing (epoch ms; closed), or undefined while it may still change. */
  settledAt(record: Record_): number | undefined;
  /** What names a record, and a value that moves when it changes (its counters). */
  fingerprint(record: Record_): { id: string; value: number };
  /** Records still open, whenever opened: any may change (read again only when its fingerprint moved). */
  open?: RootStream;
  /** The partition (the parent's key) a record of either listing names. */
  key(record: Record_): string | undefined;
}

/** A stream read once per record of its parent (a partition), with the parent's key as a parameter. */
export interface ChildStream extends ReadStreamBase {
  parent: ParentLink;
  /** For an incremental run: where the partitions with news are, instead of every parent record. */
  changes?: ChangedPartitions;
}

/** Per partition (or per sync, for a stream without partitions): what a derivation remembers between records. */
export type DeriveScope = Map<string, number>;

export interface Derived {
  records: Record_[];
  /** Why a base record yields nothing it should have (an undecryptable page), counted in the summary. */
  unreadable?: string;
}

/**
 * A stream made from the records of another (its base): it costs no request of its own. Selecting it reads the
 * base, emitted or not; selecting both reads the base once.
 */
export interface DerivedStream extends StreamBase {
  base: string;
  derive(record: Record_, scope: DeriveScope): Derived;
  parent?: undefined;
}

export type ReadStream = RootStream | ChildStream;
export type StreamDefinition = ReadStream | DerivedStream;

export const defineStream = <S extends StreamDefinition>(definition: S): S => definition;

export const isChild = (stream: StreamDefinition): stream is ChildStream => stream.parent !== undefined;
export const isDerived = (stream: StreamDefinition): stream is DerivedStream => stream.base !== undefined;
export const offersIncremental = (stream: StreamDefinition): boolean => stream.incremental !== undefined;

/** The settings a stream needs that the config lacks. */
export const missingSettings = (stream: StreamDefinition, config: TapConfig): (keyof TapConfig)[] =>
  (stream.needs ?? []).filter((name) => config[name] === undefined);

/** Whether a stream can run with this config: the one rule for selection, discovery and checks. */
export const isRunnable = (stream: StreamDefinition, config: TapConfig): boolean =>
  missingSettings(stream, config).length === 0;
