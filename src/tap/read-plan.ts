/**
 * The read plan: what one run reads and writes, decided once, before the first request, by one pure function
 * (`planRun`). Per stream: full pass or incremental, and why; the window it completes; whether it resumes an
 * interrupted run (or was already whole in it); the bookmark STATE takes once the whole sync is switched. Per
 * read: the days asked of the API and where a child's partitions come from. The sync executes it, the
 * estimate counts its pages, `conversas plan` prints it. No other file computes an incremental window.
 */
import type { TapConfig } from '../config.js';
import { ConfigError } from '../errors.js';
import { dayOf, dayStart } from '../dates.js';
import type { ReplicationMethod } from '../singer/catalog.js';
import {
  isUnfinished,
  lasting,
  type Replication,
  type RunWindow,
  type StreamBookmark,
  type TapState,
} from '../singer/state.js';
import {
  isChild,
  isDerived,
  type DayRange,
  type ReadStream,
  type StreamDefinition,
} from '../streams/define.js';
import { streamByName } from '../streams/index.js';

export type { ReplicationMethod };

const DAY = 86_400_000;
/** Clocks (ours, the API's) may disagree by this much: a bookmark later than now plus this is not believed. */
export const CLOCK_SKEW_MS = 15 * 60_000;

export type ReadMode = 'full' | 'incremental';

export interface StreamPlan {
  readonly stream: StreamDefinition;
  readonly method: ReplicationMethod;
  /** full: every record, the table replaced; incremental: what changed since the window's start, merged by key. */
  readonly mode: ReadMode;
  readonly reason: string;
  /** Continues the interrupted run: its table version, progress and window. */
  readonly resume: boolean;
  /** Whole in the interrupted run: not read again; its tables switch with this sync's. */
  readonly whole: boolean;
  /** The window this run completes, kept in STATE so that a resume reads the same (incremental streams). */
  readonly window: RunWindow | undefined;
  /** What STATE keeps once the whole sync is switched, before what the read learns (incremental streams). */
  readonly bookmark: Replication | undefined;
}

export interface ReadPlan {
  readonly read: ReadStream;
  /** The streams written from this read that are still due (none: the read is only for a child's keys). */
  readonly writes: readonly StreamPlan[];
  readonly mode: ReadMode;
  /** The days asked of the API. */
  readonly days: DayRange;
  /** Incremental: the window's start, epoch ms. */
  readonly since: number | undefined;
  /** A child: its partitions come from the parent's listing, or (incremental) from what changed. */
  readonly partitions: 'parent' | 'changes' | undefined;
  /** What the last complete run left for this read (to find what changed since). */
  readonly previous: Replication | undefined;
  /** Incremental: what a child's changes need to know of the windows around this one (epoch ms). */
  readonly changes?: {
    /** This window's end. */
    until: number;
    /** The last run's end less the clock skew: what settled before it, the last run could read. */
    lastCut: number | undefined;
    /** Whether the last run was a full pass (it read every partition after its end). */
    lastWasFull: boolean;
    /** The span the next run will check against what this run saw settle: its window's start to its cut. */
    next: { from: number; to: number };
  };
}

export interface RunPlan {
  readonly now: number;
  /** Every selected stream, whole ones included. */
  readonly streams: readonly StreamPlan[];
  /** Every read this run makes: the selected streams, derived streams' bases and children's parents. */
  readonly reads: readonly ReadPlan[];
  /** A stream set to incremental that cannot be, with the fix: one line each. */
  readonly warnings: readonly string[];
}

export interface PlanInput {
  /** The selected streams (checked against the config). */
  streams: readonly StreamDefinition[];
  /** The method asked for each stream (FULL_TABLE when absent). */
  methods: ReadonlyMap<string, ReplicationMethod>;
  state: TapState;
  config: TapConfig;
  /** The account the config reads (see tap/account.ts): a bookmark of another starts over. */
  account: string;
  now: number;
  /** full: a full pass whatever the bookmarks say (`--full`); incremental: what an incremental run would be. */
  force?: ReadMode;
}

/** Whether a stream is synced incrementally: asked for, and offered. */
export const isIncremental = (
  stream: StreamDefinition,
  methods: ReadonlyMap<string, ReplicationMethod>,
): boolean => stream.incremental !== undefined && methods.get(stream.name) === 'INCREMENTAL';

/** The days of a full read: the configured ones. */
export const configDays = (config: TapConfig): DayRange => ({
  startDay: config.start_date,
  endDay: config.end_date,
});

const iso = (ms: number): string => new Date(ms).toISOString();

export function planRun(input: PlanInput): RunPlan {
  const { config, now } = input;
  const until = Math.min(now, dayStart(config.end_date) + DAY);
  const startDate = config.start_date ? dayStart(config.start_date) : -Infinity;
  const derived = input.streams.filter(isDerived);
  const selectedReads = input.streams.filter((s): s is ReadStream => !isDerived(s));
  const bases = derived.map((d) => readStreamNamed(d.base, `the base of ${d.name}`));
  const reads = [...new Set([...selectedReads, ...bases])];
  const parents = reads
    .filter(isChild)
    .map((c) => readStreamNamed(c.parent.stream, `the parent of ${c.name}`));
  const warnings: string[] = [];
  const streams: StreamPlan[] = [];
  const readPlans: ReadPlan[] = [];

  for (const read of [...new Set([...reads, ...parents])]) {
    const written = input.streams.filter((s) => s === read || (isDerived(s) && s.base === read.name));
    const plans = written.map((s) => planStream(s, input.state.bookmarks[s.name]));
    const due = plans.filter((p) => !p.whole);
    // A FULL_TABLE stream written from the same read, or a child that cannot find what changed, makes the
    // read a full pass for every stream written from it.
    const fullTable = due.find((p) => p.method === 'FULL_TABLE')?.stream;
    const blocker = fullTable ?? (isChild(read) && !read.changes ? read : undefined);
    const why = fullTable ? `${fullTable.name} is selected and read in full` : 'no way to find what changed';
    const final = plans.map((p) => {
      if (!blocker || p.whole || p.method !== 'INCREMENTAL') return p;
      warnings.push(
        `${p.stream.name} is set to incremental but every run is a full pass: ` +
          (!fullTable
            ? `${read.name} has no way to find what changed`
            : `${fullTable.name} is selected and can only be read in full with it` +
              (fullTable.incremental
                ? ` (set ${fullTable.name} to incremental too, or deselect it)`
                : `; deselect ${fullTable.name} to sync ${p.stream.name} incrementally`)),
      );
      return p.resume || p.mode === 'full' ? p : fullPass(p, why);
    });
    streams.push(...final);
    const dueNow = final.filter((p) => !p.whole);
    const incremental = dueNow.length > 0 && !blocker && dueNow.every((p) => p.mode === 'incremental');
    const since = incremental ? Math.min(...dueNow.map((p) => Date.parse(p.window!.since!))) : undefined;
    const previousBookmark = dueNow.length ? input.state.bookmarks[dueNow[0]!.stream.name] : undefined;
    const lastEnd = previousBookmark?.replication_key_value;
    const windowEnd = incremental ? Date.parse(dueNow[0]!.window!.until) : undefined;
    readPlans.push({
      ...(windowEnd !== undefined
        ? {
            changes: {
              until: windowEnd,
              lastCut: lastEnd !== undefined ? Date.parse(lastEnd) - CLOCK_SKEW_MS : undefined,
              lastWasFull:
                previousBookmark?.last_full_sync_at !== undefined &&
                previousBookmark.last_full_sync_at === previousBookmark.replication_key_value,
              next: { from: windowEnd - config.lookback_days * DAY, to: windowEnd - CLOCK_SKEW_MS },
            },
          }
        : {}),
      read,
      writes: dueNow,
      mode: incremental ? 'incremental' : 'full',
      days: since !== undefined ? { startDay: dayOf(since), endDay: config.end_date } : configDays(config),
      since,
      partitions: isChild(read) ? (incremental ? 'changes' : 'parent') : undefined,
      previous: previousBookmark && lasting(previousBookmark),
    });
  }
  return { now, streams, reads: readPlans, warnings };

  function planStream(stream: StreamDefinition, bookmark: StreamBookmark | undefined): StreamPlan {
    const incremental = isIncremental(stream, input.methods);
    const method: ReplicationMethod = incremental ? 'INCREMENTAL' : 'FULL_TABLE';
    let switched = '';
    if (isUnfinished(bookmark)) {
      const run = bookmark!.run;
      // A resume continues the same kind of read; a mode switched since the interruption starts over.
      if (incremental ? run !== undefined : run === undefined || run.mode === 'full') {
        const whole = bookmark!.done === true;
        const mode: ReadMode = run?.mode ?? 'full';
        return {
          stream,
          method,
          mode,
          reason: whole
            ? 'whole before the interruption (its tables switch with this sync)'
            : `resuming the interrupted run (${mode === 'full' ? 'full pass' : `incremental from ${run!.since}`})`,
          resume: true,
          whole,
          window: run,
          bookmark: whole ? bookmark!.next : run && nextBookmark(stream, mode, run, bookmark),
        };
      }
      switched = 'the sync mode changed since the interrupted run; ';
    }
    if (!incremental)
      return {
        stream,
        method,
        mode: 'full',
        reason: `${switched}full table (${stream.incremental ? 'set to full_table' : 'full_table only'})`,
        resume: false,
        whole: false,
        window: undefined,
        bookmark: undefined,
      };
    const why = fullPassReason(bookmark);
    if (why) return fullPass({ stream, method, bookmark, switched }, why);
    const from =
      bookmark?.replication_key_value !== undefined ? Date.parse(bookmark.replication_key_value) : until; // force: 'incremental' without a bookmark: as if the last run ended now
    const since = Math.max(startDate, from - config.lookback_days * DAY);
    const window: RunWindow = { mode: 'incremental', since: iso(since), until: iso(until) };
    return {
      stream,
      method,
      mode: 'incremental',
      reason: `${switched}incremental from ${iso(since)} (the last run's end less lookback_days ${config.lookback_days})`,
      resume: false,
      whole: false,
      window,
      bookmark: nextBookmark(stream, 'incremental', window, bookmark),
    };
  }

  /** Why this run is a full pass for an incremental stream, or undefined when it can be incremental. */
  function fullPassReason(bookmark: StreamBookmark | undefined): string | undefined {
    if (input.force === 'full') return 'asked for';
    if (input.force === 'incremental') return undefined;
    if (!bookmark?.replication_key_value || !bookmark.last_full_sync_at) return 'no earlier run';
    if (bookmark.account !== undefined && bookmark.account !== input.account)
      return 'its bookmark is of another account or api_url';
    for (const [name, value] of [
      ['bookmark', bookmark.replication_key_value],
      ['last full pass', bookmark.last_full_sync_at],
    ] as const)
      if (Date.parse(value) > now + CLOCK_SKEW_MS)
        return `its ${name} (${value}) is in the future: a clock moved back, or the STATE was edited`;
    const every = config.full_sync_every_days;
    const age = now - Date.parse(bookmark.last_full_sync_at);
    if (every > 0 && age >= every * DAY)
      return `the last one was ${Math.floor(age / DAY)} day(s) ago (full_sync_every_days is ${every})`;
    return undefined;
  }

  function fullPass(
    p: Pick<StreamPlan, 'stream' | 'method'> & { bookmark?: Replication | undefined; switched?: string },
    why: string,
  ): StreamPlan {
    const window: RunWindow = { mode: 'full', until: iso(until) };
    return {
      stream: p.stream,
      method: p.method,
      mode: 'full',
      reason: `${p.switched ?? ''}full pass (${why})`,
      resume: false,
      whole: false,
      window,
      bookmark: nextBookmark(p.stream, 'full', window, p.bookmark),
    };
  }

  function nextBookmark(
    stream: StreamDefinition,
    mode: ReadMode,
    window: RunWindow,
    previous: Replication | undefined,
  ): Replication {
    const last = mode === 'full' ? window.until : previous?.last_full_sync_at;
    return {
      replication_key: stream.incremental!.replicationKey,
      replication_key_value: window.until,
      ...(last ? { last_full_sync_at: last } : {}),
      account: input.account,
    };
  }
}

/** The stream read for another (a derived stream's base, a child's parent): one with an endpoint of its own. */
export function readStreamNamed(name: string, role: string): ReadStream {
  const stream = streamByName(name);
  if (!stream || isDerived(stream)) throw new ConfigError(`stream ${name} (${role}) is not a stream to read`);
  return stream;
}

/** One line per stream: what the run does with it and why (`conversas plan`, the sync's log). */
export function describePlan(plan: RunPlan): string[] {
  return plan.streams.map((p) => `${p.stream.name}: ${p.reason}`);
}
