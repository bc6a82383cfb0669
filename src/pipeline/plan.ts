/**
 * The plan of a sync: whether the source's additional full pass is due, and the one line `conversas sync` prints
 * for the run it starts (what it will be and cost). `conversas plan` (cli/plan.ts) says the same at length.
 */
import { Cron } from 'croner';
import type { Logger } from '../log.js';
import type { TapState } from '../singer/state.js';
import { describeCost, estimatePlan, type EstimateOptions } from '../tap/estimate.js';
import type { Source } from './source.js';

/** The source's `full_sync_schedule` fired since the oldest last full pass of its incremental streams. */
export function fullSyncScheduled(source: Source, state: TapState, now: number, log: Logger): boolean {
  if (!source.full_sync_schedule) return false;
  const passes = Object.values(state.bookmarks).flatMap((b) =>
    b.last_full_sync_at ? [Date.parse(b.last_full_sync_at)] : [],
  );
  if (passes.length === 0) return false;
  const next = new Cron(source.full_sync_schedule, {
    paused: true,
    ...(source.timezone ? { timezone: source.timezone } : {}),
  }).nextRun(new Date(Math.min(...passes)));
  const due = next !== null && next.getTime() <= now;
  if (due)
    log.info(`full pass: full_sync_schedule "${source.full_sync_schedule}" fired at ${next.toISOString()}`);
  return due;
}

/** One line for the run about to start: "next run: incremental ≈ 1,560 requests ≈ 33 min at 45/min". */
export async function planLine(o: EstimateOptions): Promise<string> {
  const estimate = await estimatePlan(o);
  const cost = estimate.next === 'incremental' ? estimate.incremental : estimate.full;
  return `next run: ${estimate.next === 'incremental' ? 'incremental' : 'full pass'} ${describeCost(cost ?? 0, o.config.requests_per_minute)} (estimated with ${estimate.spent} request(s))`;
}
