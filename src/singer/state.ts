/**
 * STATE for full-table syncs that can resume (README "Resuming"). One Singer table version per stream, reused on
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

export interface StreamBookmark extends Partial<PartitionProgress> {
  version: number;
  done?: boolean;
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
    if (b && typeof b === 'object' && typeof b.version === 'number')
      out.bookmarks[stream] = b as StreamBookmark;
  }
  return out;
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
