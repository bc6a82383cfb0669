/**
 * Full pass or incremental run, per read (README "Incremental syncs"). A stream synced INCREMENTAL gets a full
 * pass when it has no bookmark yet, when its last full pass is `full_sync_every_days` old, or when asked;
 * otherwise it reads what changed since its bookmark less `lookback_days`. The streams written from one read
 * share its window: if one of them is FULL_TABLE, the read is a full pass for all. A resumed run keeps the
 * window it started with.
 */
import type { TapConfig } from '../config.js';
import type { Logger } from '../log.js';
import type { ReplicationMethod } from '../singer/catalog.js';
import { isUnfinished, type RunWindow, type StreamBookmark } from '../singer/state.js';
import { isChild, type ReadStream, type StreamDefinition } from '../streams/define.js';

export type { ReplicationMethod };

export interface ReplicationOptions {
  /** The method asked for each stream (FULL_TABLE when absent). */
  methods: ReadonlyMap<string, ReplicationMethod>;
  /** A full pass whatever the bookmarks say (`conversas sync --full`). */
  full: boolean;
  now: number;
  config: TapConfig;
}

const DAY = 86_400_000;

/** Whether a stream is synced incrementally: asked for, and offered. */
export const isIncremental = (
  stream: StreamDefinition,
  methods: ReadonlyMap<string, ReplicationMethod>,
): boolean => stream.incremental !== undefined && methods.get(stream.name) === 'INCREMENTAL';

/** Why this run is a full pass for a stream, or undefined when it can be incremental. */
function fullPassReason(bookmark: StreamBookmark | undefined, o: ReplicationOptions): string | undefined {
  if (o.full) return 'asked for';
  if (!bookmark?.replication_key_value || !bookmark.last_full_sync_at) return 'no earlier run';
  const every = o.config.full_sync_every_days;
  const age = o.now - Date.parse(bookmark.last_full_sync_at);
  if (every > 0 && age >= every * DAY)
    return `the last one was ${Math.floor(age / DAY)} day(s) ago (full_sync_every_days is ${every})`;
  return undefined;
}

/**
 * The window of one read for each of its written streams synced incrementally (the others have none), and
 * whether the read itself is incremental. Logs what each stream will do.
 */
export function planWindows(
  read: ReadStream,
  written: readonly StreamDefinition[],
  bookmarkOf: (stream: StreamDefinition) => StreamBookmark | undefined,
  o: ReplicationOptions,
  log: Logger,
): { windows: Map<string, RunWindow>; incremental: boolean } {
  const windows = new Map<string, RunWindow>();
  const incrementalStreams = written.filter((s) => isIncremental(s, o.methods));
  if (incrementalStreams.length === 0) return { windows, incremental: false };
  const endOfWindow = Date.parse(`${o.config.end_date}T00:00:00Z`) + DAY;
  const until = new Date(Math.min(o.now, endOfWindow)).toISOString();
  const startDate = o.config.start_date ? Date.parse(`${o.config.start_date}T00:00:00Z`) : -Infinity;
  const blocker =
    written.find((s) => !isIncremental(s, o.methods)) ?? (isChild(read) && !read.changes ? read : undefined);
  for (const stream of incrementalStreams) {
    const bookmark = bookmarkOf(stream);
    if (isUnfinished(bookmark) && bookmark?.run) {
      windows.set(stream.name, bookmark.run);
      continue;
    }
    const why =
      fullPassReason(bookmark, o) ??
      (blocker
        ? `${blocker.name} is read in full (${blocker === read ? 'no way to find what changed' : 'FULL_TABLE'})`
        : undefined);
    if (why) {
      log.info(`${stream.name}: full pass (${why})`);
      windows.set(stream.name, { mode: 'full', until });
      continue;
    }
    const since = Math.max(
      startDate,
      Date.parse(bookmark!.replication_key_value!) - o.config.lookback_days * DAY,
    );
    log.info(`${stream.name}: incremental from ${new Date(since).toISOString()}`);
    windows.set(stream.name, { mode: 'incremental', since: new Date(since).toISOString(), until });
  }
  const modes = new Set([...windows.values()].map((w) => w.mode));
  // Resumed windows of two kinds (should not happen): read in full, which serves both.
  return { windows, incremental: !blocker && modes.size === 1 && modes.has('incremental') };
}
