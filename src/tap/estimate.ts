/**
 * What the next run will cost, before paying for it: requests of a full pass and of an incremental run, from
 * the first page of the listings that decide it (a listing's total or page count) and the bookmarks. A handful
 * of requests; the time follows from the configured budget. Knows no stream by name.
 */
import type { TapConfig } from '../config.js';
import { addDays } from '../dates.js';
import type { PageResult, Paging } from '../http/paging.js';
import { silentLogger, type Logger } from '../log.js';
import type { TapState } from '../singer/state.js';
import { isChild, isDerived, type ReadStream, type StreamDefinition } from '../streams/define.js';
import { streamByName } from '../streams/index.js';
import { StreamReader } from './reader.js';
import { planWindows, type ReplicationMethod, type ReplicationOptions } from './replication.js';

export interface PlanEstimate {
  /** Requests of a full pass of every selected stream (at least: a contact with long history takes more). */
  full: number;
  /** Requests of an incremental run; undefined when no selected stream is synced incrementally. */
  incremental: number | undefined;
  /** What the next run will be. */
  next: 'full' | 'incremental';
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

const DAY = 86_400_000;
const limitOf = (paging: Paging): number => ('limit' in paging ? paging.limit : 1);

export async function estimatePlan(o: EstimateOptions): Promise<PlanEstimate> {
  const reader = new StreamReader({
    config: o.config,
    log: o.log ?? silentLogger,
    decrypt: () => Promise.reject(new Error('an estimate decrypts nothing')),
    ...(o.signal ? { signal: o.signal } : {}),
  });
  const firstPages = new Map<string, Promise<PageResult | undefined>>();
  const first = (stream: ReadStream, sinceDay?: string): Promise<PageResult | undefined> => {
    const key = `${stream.path}?${JSON.stringify(stream.query?.(o.config))}@${sinceDay ?? ''}`;
    if (!firstPages.has(key))
      firstPages.set(
        key,
        (async () => {
          for await (const page of reader.pages(stream, {}, 1, sinceDay)) return page;
          return undefined;
        })(),
      );
    return firstPages.get(key)!;
  };
  const pagesOf = async (stream: ReadStream, sinceDay?: string): Promise<number> => {
    if (stream.paging.kind === 'single') return 1;
    const page = await first(stream, sinceDay);
    const pages =
      page?.pages ?? (page?.total !== undefined ? Math.ceil(page.total / limitOf(stream.paging)) : 1);
    return Math.max(1, pages) * windowsOf(stream, o.config, sinceDay);
  };
  const countOf = async (stream: ReadStream, sinceDay?: string): Promise<number> => {
    const page = await first(stream, sinceDay);
    if (!page) return 0;
    if (page.total !== undefined) return page.total;
    if (page.pages === undefined || page.pages <= 1) return page.records.length;
    return Math.round((page.pages - 0.5) * limitOf(stream.paging)) * windowsOf(stream, o.config, sinceDay);
  };

  const streams = o.selected.map((name) => streamByName(name)).filter((s): s is StreamDefinition => !!s);
  const reads = [...new Set(streams.map((s) => (isDerived(s) ? (streamByName(s.base) as ReadStream) : s)))];
  const replication: ReplicationOptions = { methods: o.methods, full: o.full, now: o.now, config: o.config };
  let full = 0;
  let incremental = 0;
  let anyIncremental = false;
  let nextIsFull = false;
  for (const read of reads) {
    const written = streams.filter((s) => s === read || (isDerived(s) && s.base === read.name));
    const plan = planWindows(read, written, (s) => o.state.bookmarks[s.name], replication, silentLogger);
    const offered = plan.windows.size > 0;
    anyIncremental ||= offered;
    if (offered && !plan.incremental) nextIsFull = true;
    const wantFull = !o.nextOnly || !plan.incremental;
    const fullCost = wantFull ? await fullCostOf(read) : 0;
    full += fullCost;
    if (!offered) incremental += fullCost;
    else if (!o.nextOnly || plan.incremental) {
      const since = [...plan.windows.values()]
        .map((w) => w.since)
        .filter(Boolean)
        .sort()[0];
      const sinceDay = since
        ? since.slice(0, 10)
        : addDays(o.config.end_date, -Math.ceil(o.config.lookback_days));
      incremental += await incrementalCostOf(read, sinceDay);
    }
  }
  return {
    full,
    incremental: anyIncremental ? incremental : undefined,
    next: anyIncremental && !nextIsFull ? 'incremental' : 'full',
    spent: reader.client.requests,
  };

  async function fullCostOf(read: ReadStream): Promise<number> {
    if (!isChild(read)) return pagesOf(read);
    const parent = streamByName(read.parent.stream) as ReadStream;
    // At least one page per partition; the parent's listing unless it is read for itself too.
    return (await countOf(parent)) + (reads.includes(parent) ? 0 : await pagesOf(parent));
  }

  async function incrementalCostOf(read: ReadStream, sinceDay: string): Promise<number> {
    if (!isChild(read)) {
      let cost = await pagesOf(read, sinceDay);
      for (const also of read.alsoWhenIncremental?.() ?? []) cost += await pagesOf(also);
      return cost;
    }
    const changes = read.changes!;
    const open = changes.open?.stream;
    return (
      (await pagesOf(changes.recent, sinceDay)) +
      (await countOf(changes.recent, sinceDay)) +
      (open ? (await pagesOf(open)) + (await countOf(open)) : 0)
    );
  }
}

/** How many date windows a windowed listing is read in. */
function windowsOf(stream: ReadStream, config: TapConfig, sinceDay?: string): number {
  if (stream.paging.kind !== 'dateWindows' || !stream.window) return 1;
  const range = stream.window(sinceDay ? { ...config, start_date: sinceDay } : config);
  const start = range.startDay ?? addDays(range.endDay, -(stream.paging.defaultDays - 1));
  const days = (Date.parse(range.endDay) - Date.parse(start)) / DAY + 1;
  return Math.max(1, Math.ceil(days / stream.paging.windowDays));
}

/** "≈ 1,560 requests ≈ 33 min at 48/min". */
export function describeCost(requests: number, perMinute: number): string {
  const minutes = Math.ceil(requests / perMinute);
  const time =
    minutes >= 60
      ? `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, '0')} min`
      : `${minutes} min`;
  return `≈ ${requests.toLocaleString('en-US')} requests ≈ ${time} at ${perMinute}/min`;
}
