/**
 * `conversas plan`: what the next sync will be (a full pass or an incremental run) and what a full pass and an
 * incremental run cost, in requests and in time at the configured budget, from a few requests and the saved
 * bookmarks. `conversas sync` prints the same line for the run it starts.
 */
import { existsSync } from 'node:fs';
import { Command } from 'commander';
import { Cron } from 'croner';
import { validateConfig } from '../config.js';
import { CatalogStore } from '../catalog/store.js';
import type { Logger } from '../log.js';
import { parseState, withoutProgress, type TapState } from '../singer/state.js';
import { describeCost, estimatePlan, type EstimateOptions } from '../tap/estimate.js';
import { startDemo } from './demo.js';
import { loadSource, withSourceOptions, type SourceOptions } from './options.js';
import { replicationMethods, selectedStreams, type Source } from './source.js';

/** The source's `full_sync_schedule` fired since the oldest last full pass of its incremental streams. */
export function fullSyncScheduled(source: Source, state: TapState, now: number, log: Logger): boolean {
  if (!source.full_sync_schedule) return false;
  const passes = Object.values(state.bookmarks).flatMap((b) =>
    b.last_full_sync_at ? [Date.parse(b.last_full_sync_at)] : [],
  );
  if (passes.length === 0) return false;
  const next = new Cron(source.full_sync_schedule, { paused: true }).nextRun(new Date(Math.min(...passes)));
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

export function planCommand(log: Logger): Command {
  return withSourceOptions(
    new Command('plan').description(
      'estimate the next sync: a full pass and an incremental run, in requests and time at the budget',
    ),
    false,
  )
    .option('--full', 'plan a full pass of the incremental streams')
    .action(async (opts: SourceOptions) => {
      const source = loadSource(opts);
      const demo = opts.sandbox ? await startDemo({ contacts: Number(opts.contacts) }) : undefined;
      try {
        const config = validateConfig({ ...source.config, ...demo?.overrides });
        let state = { bookmarks: {} };
        if (existsSync(opts.db)) {
          const store = await CatalogStore.open(opts.db, { readOnly: true });
          try {
            state = withoutProgress(parseState((await store.loadState(source.name))?.value));
          } finally {
            await store.close();
          }
        }
        const now = Date.now();
        const full = opts.full === true || fullSyncScheduled(source, state, now, log);
        const estimate = await estimatePlan({
          config,
          selected: selectedStreams(source, config),
          state,
          methods: replicationMethods(source),
          full,
          now,
          log,
        });
        const budget = config.requests_per_minute;
        process.stdout.write(
          `full pass:   ${describeCost(estimate.full, budget)}\n` +
            (estimate.incremental !== undefined
              ? `incremental: ${describeCost(estimate.incremental, budget)}\n`
              : 'incremental: no stream is synced incrementally (set "sync": "incremental" on messages or reports)\n') +
            `next run:    ${estimate.next === 'incremental' ? 'incremental' : 'full pass'}\n` +
            `(estimated from ${estimate.spent} request(s); a contact with more than 100 messages in the window takes more)\n`,
        );
      } finally {
        await demo?.sandbox.close();
      }
    });
}
