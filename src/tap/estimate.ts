/**
 * What the next run will cost, before paying for it: requests of a full pass and of an incremental run, from
 * the first page of the listings that decide it (a listing's total or page count) and the bookmarks. A handful
 * of requests; the time follows from the configured budget. Knows no stream by name.
 */
import type { TapConfig } from '../config.js';
import { addDays } from '../dates.js';
import type { DayRange, PageResult, Paging } from '../http/paging.js';
import { silentLogger, type Logger } from '../log.js';
import type { TapState } from '../singer/state.js';
import { isChild, type ReadStream, type StreamDefinition } from '../streams/define.js';
import { streamByName } from '../streams/index.js';
import { StreamReader } from './reader.js';
import { accountOf } from './account.js';
import { planRun, type ReadMode, type ReplicationMethod, type RunPlan } from './read-plan.js';

export interface PlanEstimate {
  /** Requests of a full pass of every selected stream (at least: a contact with long history takes more). */
  full: number;
  /** Requests of an incremental run; undefined when no selected stream is synced incrementally. */
  incremental: number | undefined;
  /** What the next run will be. */
  next: 'full' | 'incremental';
  /** The next run's plan (its lines and warnings are what the sync will say). */
  plan: RunPlan;
  /** Requests this estimate made. */
  spent: number;
}

export interface EstimateOptions {
  config: TapConfig;
  selected: readonly string[];
  state: TapState;
  methods: ReadonlyMap<string, ReplicationMethod>;
  full: boolean;
  now: number;
  log?: Logger;
  signal?: AbortSignal;
  /** Only what the next run costs (fewer requests): the other figure is left out. */
  nextOnly?: boolean;
}

const limitOf = (paging: Paging): number => ('limit' in paging ? paging.limit : 1);

/**
 * Counts the pages of the read plan (the one the sync runs: `planRun`), and of the plans a full pass and an
 * incremental run would be, from the first page of each listing that decides them.
 */
export async function estimatePlan(o: EstimateOptions): Promise<PlanEstimate> {
  const reader = new StreamReader({
    config: o.config,
    log: o.log ?? silentLogger,
    decrypt: () => Promise.reject(new Error('an estimate decrypts nothing')),
    ...(o.signal ? { signal: o.signal } : {}),
  });
  const firstPages = new Map<string, Promise<PageResult | undefined>>();
  const first = (stream: ReadStream, days: DayRange): Promise<PageResult | undefined> => {
    const key = `${stream.path}?${JSON.stringify(stream.query?.(o.config, days))}@${JSON.stringify(stream.window?.(days, o.config) ?? days)}`;
    if (!firstPages.has(key)) firstPages.set(key, reader.firstPage(stream, { days }));
    return firstPages.get(key)!;
  };
  const pagesOf = async (stream: ReadStream, days: DayRange): Promise<number> => {
    if (stream.paging.kind === 'single') return 1;
    const page = await first(stream, days);
    const pages =
      page?.pages ?? (page?.total !== undefined ? Math.ceil(page.total / limitOf(stream.paging)) : 1);
    return Math.max(1, pages) * windowsOf(stream, days, o.config);
  };
  const countOf = async (stream: ReadStream, days: DayRange): Promise<number> => {
    const page = await first(stream, days);
    if (!page) return 0;
    if (page.total !== undefined) return page.total;
    if (page.pages === undefined || page.pages <= 1) return page.records.length;
    return Math.round((page.pages - 0.5) * limitOf(stream.paging)) * windowsOf(stream, days, o.config);
  };
  const costOf = async (plan: RunPlan): Promise<number> => {
    let cost = 0;
    for (const read of plan.reads) {
      const r = read.read;
      if (
        read.writes.length === 0 &&
        !plan.reads.some(
          (c) => isChild(c.read) && c.read.parent.stream === r.name && c.partitions === 'parent',
        )
      )
        continue; // a parent no child reads through
      if (!isChild(r)) {
        cost += await pagesOf(r, read.days);
        if (read.mode === 'incremental')
          for (const also of r.alsoWhenIncremental?.() ?? []) cost += await pagesOf(also, read.days);
      } else if (read.partitions === 'parent') {
        // At least one page per partition (the parent's listing is counted as a read of its own).
        cost += await countOf(streamByName(r.parent.stream) as ReadStream, read.days);
      } else {
        const changes = r.changes!;
        cost += (await pagesOf(changes.recent, read.days)) + (await countOf(changes.recent, read.days));
        if (changes.open)
          cost += (await pagesOf(changes.open, read.days)) + (await countOf(changes.open, read.days));
      }
    }
    return cost;
  };

  const streams = o.selected.map((name) => streamByName(name)).filter((s): s is StreamDefinition => !!s);
  const planOf = (force?: ReadMode): RunPlan =>
    planRun({
      streams,
      methods: o.methods,
      state: o.state,
      config: o.config,
      account: accountOf(o.config),
      now: o.now,
      ...(force ? { force } : {}),
    });
  const plan = planOf(o.full ? 'full' : undefined);
  const anyIncremental = plan.streams.some((p) => p.method === 'INCREMENTAL');
  const next = plan.reads.some((r) => r.writes.some((p) => p.method === 'INCREMENTAL') && r.mode === 'full')
    ? 'full'
    : anyIncremental
      ? 'incremental'
      : 'full';
  const nextCost = await costOf(plan);
  const full =
    o.nextOnly && next === 'incremental'
      ? 0
      : plan.reads.every((r) => r.mode === 'full')
        ? nextCost
        : await costOf(planOf('full'));
  const incremental = !anyIncremental
    ? undefined
    : next === 'incremental'
      ? nextCost
      : o.nextOnly
        ? 0
        : await costOf(planOf('incremental'));
  return { full, incremental, next, plan, spent: reader.client.requests };
}

/** How many date windows a windowed listing is read in. */
function windowsOf(stream: ReadStream, days: DayRange, config: TapConfig): number {
  if (stream.paging.kind !== 'dateWindows' || !stream.window) return 1;
  const range = stream.window(days, config);
  const start = range.startDay ?? addDays(range.endDay, -(stream.paging.defaultDays - 1));
  const span = (Date.parse(range.endDay) - Date.parse(start)) / 86_400_000 + 1;
  return Math.max(1, Math.ceil(span / stream.paging.windowDays));
}

/** "≈ 1,560 requests ≈ 33 min at 48/min". */
export function describeCost(requests: number, perMinute: number): string {
  const seconds = (requests * 60) / perMinute;
  const minutes = Math.ceil(seconds / 60);
  // Honest units: 13 requests at 6,000/min are 0.13 s, not "1 min".
  const time =
    seconds < 60
      ? `${seconds < 1 ? '< 1' : Math.ceil(seconds)} s`
      : minutes >= 60
        ? `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, '0')} min`
        : `${minutes} min`;
  return `≈ ${requests.toLocaleString('en-US')} requests ≈ ${time} at ${perMinute}/min`;
}
