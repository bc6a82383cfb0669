/**
 * `conversas plan`: what the next sync will be (a full pass or an incremental run) and what a full pass and an
 * incremental run cost, in requests and in time at the configured budget, from a few requests and the saved
 * bookmarks. `conversas sync` prints the same line for the run it starts.
 */
import { Command } from 'commander';
import { validateConfig } from '../config.js';
import { catalogExists } from '../catalog/catalog-file.js';
import { layoutOf } from '../catalog/layout.js';
import { CatalogReader } from '../catalog/reader.js';
import type { SavedState } from '../catalog/store.js';
import type { Logger } from '../log.js';
import { fullSyncScheduled } from '../pipeline/plan.js';
import { stateForRun, syncSettingsOf } from '../pipeline/resume.js';
import { replicationMethods, selectedStreams } from '../pipeline/source.js';
import { describeCost, estimatePlan } from '../tap/estimate.js';
import { describePlan } from '../tap/read-plan.js';
import { startDemo } from './demo.js';
import { loadSource, withSourceOptions, type SourceOptions } from './options.js';

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
        const raw = { ...source.config, ...demo?.overrides };
        let config = validateConfig(raw);
        const selected = selectedStreams(source, config);
        let saved: SavedState | undefined;
        if (catalogExists(layoutOf(opts.db))) {
          const store = await CatalogReader.open(opts.db);
          try {
            saved = await store.loadState(source.name);
          } finally {
            await store.close();
          }
        }
        // What the sync would start from: a resume of the interrupted sync, or the bookmarks that hold.
        const run = stateForRun(saved, syncSettingsOf(source, raw, config, selected), config, log);
        const state = run.state;
        config = run.config;
        const now = Date.now();
        const full = opts.full === true || fullSyncScheduled(source, state, now, log);
        const estimate = await estimatePlan({
          config,
          selected,
          state,
          methods: replicationMethods(source),
          full,
          now,
          log,
        });
        const budget = config.requests_per_minute;
        // The same plan the sync runs: a line per stream with its mode and why, then any warning.
        for (const warning of estimate.plan.warnings) log.warn(warning);
        process.stdout.write(
          describePlan(estimate.plan)
            .map((line) => `  ${line}\n`)
            .join('') +
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
