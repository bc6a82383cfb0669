/**
 * STATE for syncs that can resume (README "Resuming") and for incremental streams (README "Incremental"). One Singer table version per stream, reused on
 * resume, so a target replaces a table only once the stream is whole. A child stream's progress is kept as
 * a watermark in the parent's order plus the few partitions done beyond it: its size does not grow with the
 * number of contacts.
 */
import { ConfigError } from '../errors.js';

/** How far a child stream got through its parent's records. */
export interface PartitionProgress {
  /** Every parent position below this one is done. */
  next_position: number;
  /** The parent key at `next_position - 1`, to notice a changed order on resume. */
  anchor_id: string | null;
  /** Positions at or beyond the watermark that are done too. */
  done_positions: number[];
}

/** How a run reads an incremental stream, fixed at its start (a resume reads the same). */
export interface RunWindow {
  mode: 'full' | 'incremental';
  /** RFC 3339: the run reads what changed from here (incremental only). */
  since?: string;
  /** RFC 3339: the end of the window this run completes. */
  until: string;
}

/** A fixed-size fingerprint of the records a run saw closed in [from, to) (see tap/changes.ts). */
export interface ClosedFingerprint {
  /** RFC 3339. */
  from: string;
  /** RFC 3339. */
  to: string;
  buckets: number[];
}

/** What an incremental stream keeps from one complete run to the next (O(1) in the number of contacts). */
export interface Replication {
  replication_key?: string;
  /** RFC 3339: the end of the last complete window. */
  replication_key_value?: string;
  /** RFC 3339: when the last full pass started. */
  last_full_sync_at?: string;
  /** The account the bookmark was read from (api_url and the token's account): another account starts over. */
  account?: string;
  /** Fixed-size fingerprint of the records still open at the last run (see tap/changes.ts). */
  open_fingerprint?: number[];
  /** Fingerprint of the records the last run saw closed late in its window (see tap/changes.ts). */
  closed_fingerprint?: ClosedFingerprint;
}

export interface StreamBookmark extends Partial<PartitionProgress>, Replication {
  /** The table version of a run under way (present only until the run completes). */
  version?: number;
  /** The stream is whole in the run under way; its tables switch when the whole sync is. */
  done?: boolean;
  run?: RunWindow;
  /**
   * What the bookmark becomes once the whole sync is switched (a stream whole before the others waits with
   * it here: a run interrupted after it resumes from the old bookmark, and merges what it read).
   */
  next?: Replication;
}

const LASTING: (keyof Replication)[] = [
  'replication_key',
  'replication_key_value',
  'last_full_sync_at',
  'account',
  'open_fingerprint',
  'closed_fingerprint',
];

/** What a bookmark keeps once its run is complete. */
export function lasting(bookmark: StreamBookmark | undefined): Replication {
  const out: Replication = {};
  for (const key of LASTING) if (bookmark?.[key] !== undefined) Object.assign(out, { [key]: bookmark[key] });
  return out;
}

/** A run under way left this bookmark (a resume continues it). */
export const isUnfinished = (bookmark: StreamBookmark | undefined): boolean =>
  typeof bookmark?.version === 'number';

/** The bookmarks of runs under way (empty when the last run completed). */
export const unfinishedStreams = (state: TapState): string[] =>
  Object.keys(state.bookmarks).filter((name) => isUnfinished(state.bookmarks[name]));

/** The state without any run under way: what a run that starts over keeps. */
export function withoutProgress(state: TapState): TapState {
  const bookmarks: Record<string, StreamBookmark> = {};
  for (const [name, bookmark] of Object.entries(state.bookmarks)) {
    const kept = lasting(bookmark);
    if (Object.keys(kept).length) bookmarks[name] = kept;
  }
  return { bookmarks };
}

/**
 * The state once the whole sync is switched: every stream that waited with its next bookmark takes it (a
 * stream read FULL_TABLE, with no next bookmark, keeps none); nothing is left to resume.
 */
export function completed(state: TapState): TapState {
  const bookmarks: Record<string, StreamBookmark> = {};
  for (const [name, bookmark] of Object.entries(state.bookmarks)) {
    const kept = bookmark.done ? lasting(bookmark.next) : lasting(bookmark);
    if (Object.keys(kept).length) bookmarks[name] = kept;
  }
  return { bookmarks };
}

export interface TapState {
  bookmarks: Record<string, StreamBookmark>;
  currently_syncing?: string | null;
}

export function parseState(value: unknown): TapState {
  if (value === null || value === undefined) return { bookmarks: {} };
  if (typeof value !== 'object' || Array.isArray(value)) throw new ConfigError('state must be a JSON object');
  // Accept a whole STATE message as well as its value.
  const v =
    (value as { type?: string; value?: unknown }).type === 'STATE'
      ? (value as { value: unknown }).value
      : value;
  const bookmarks = (v as { bookmarks?: unknown } | null)?.bookmarks ?? {};
  if (typeof bookmarks !== 'object' || bookmarks === null || Array.isArray(bookmarks)) {
    throw new ConfigError('state "bookmarks" must be an object');
  }
  const out: TapState = { bookmarks: {} };
  for (const [stream, bookmark] of Object.entries(bookmarks as Record<string, unknown>)) {
    const b = bookmark as Partial<StreamBookmark> | null;
    if (!b || typeof b !== 'object' || Array.isArray(b)) continue;
    const refuse = (what: string): never => {
      throw new ConfigError(
        `state bookmark of ${stream}: ${what}; this STATE was not written by this tap (start over without it: conversas sync --fresh, or no --state)`,
      );
    };
    // A table version is the run's start in epoch ms: a positive whole number a target can compare.
    if (b.version !== undefined && !(Number.isSafeInteger(b.version) && (b.version as number) > 0))
      refuse(`"version" must be a positive whole number (got ${JSON.stringify(b.version)})`);
    if (
      b.next_position !== undefined &&
      !(Number.isSafeInteger(b.next_position) && (b.next_position as number) >= 0)
    )
      refuse('"next_position" must be a whole number ≥ 0');
    if (
      b.done_positions !== undefined &&
      !(Array.isArray(b.done_positions) && b.done_positions.every((p) => Number.isSafeInteger(p) && p >= 0))
    )
      refuse('"done_positions" must be a list of whole numbers ≥ 0');
    checkDates(b, refuse);
    if (b.run !== undefined) {
      const run = b.run as Partial<RunWindow> | null;
      if (!run || (run.mode !== 'full' && run.mode !== 'incremental'))
        refuse('"run.mode" must be full or incremental');
      checkDates(
        { until: run!.until, ...(run!.since !== undefined ? { since: run!.since } : {}) },
        refuse,
        'run.',
      );
      if (run!.until === undefined) refuse('"run.until" is missing');
    }
    if (b.next !== undefined) {
      if (!b.next || typeof b.next !== 'object' || Array.isArray(b.next)) refuse('"next" must be an object');
      checkDates(b.next as Record<string, unknown>, refuse, 'next.');
    }
    for (const holder of [b, b.next]) {
      if (!holder) continue;
      const fingerprint = holder.open_fingerprint;
      if (fingerprint !== undefined && !(Array.isArray(fingerprint) && fingerprint.every(Number.isFinite)))
        delete holder.open_fingerprint; // only an optimisation: without it every open record is read again
      const closed = holder.closed_fingerprint;
      if (
        closed !== undefined &&
        !(
          closed &&
          typeof closed === 'object' &&
          Array.isArray(closed.buckets) &&
          closed.buckets.every(Number.isFinite) &&
          !Number.isNaN(Date.parse(String(closed.from))) &&
          !Number.isNaN(Date.parse(String(closed.to)))
        )
      )
        delete holder.closed_fingerprint; // likewise: without it the closed records are read again
    }
    out.bookmarks[stream] = b as StreamBookmark;
  }
  return out;
}

const DATES = ['replication_key_value', 'last_full_sync_at', 'since', 'until'] as const;

function checkDates(b: Record<string, unknown>, refuse: (what: string) => never, prefix = ''): void {
  for (const key of DATES)
    if (b[key] !== undefined && (typeof b[key] !== 'string' || Number.isNaN(Date.parse(b[key]))))
      refuse(`"${prefix}${key}" must be an RFC 3339 date-time`);
}

/** Completion of partitions that finish out of order, summarised as watermark + the done set beyond it. */
export class PartitionTracker {
  private readonly done = new Set<number>();
  private readonly ids = new Map<number, string>();
  watermark: number;
  anchorId: string | null;

  constructor(from = 0, doneBeyond: readonly number[] = [], anchorId: string | null = null) {
    this.watermark = from;
    this.anchorId = anchorId;
    for (const p of doneBeyond) if (p >= from) this.done.add(p);
    this.advance();
  }

  isDone(position: number): boolean {
    return position < this.watermark || this.done.has(position);
  }

  complete(position: number, id: string | null): void {
    if (this.isDone(position)) return;
    this.done.add(position);
    if (id !== null) this.ids.set(position, id);
    this.advance();
  }

  private advance(): void {
    while (this.done.has(this.watermark)) {
      this.done.delete(this.watermark);
      if (this.ids.has(this.watermark)) this.anchorId = this.ids.get(this.watermark)!;
      this.ids.delete(this.watermark);
      this.watermark += 1;
    }
  }

  progress(): PartitionProgress {
    return {
      next_position: this.watermark,
      anchor_id: this.anchorId,
      done_positions: [...this.done].sort((a, b) => a - b),
    };
  }
}
