/**
 * `conversas sync`: the tap and the DuckDB loader in one process, joined by Singer messages. Resumes an
 * interrupted sync from the STATE saved in the catalog; a failed or interrupted sync leaves every current
 * table version as it was.
 */
import { validateConfig, type RawConfig } from '../config.js';
import { UserError, InterruptedError } from '../errors.js';
import { CatalogLoader, type LoadedTable } from '../catalog/loader.js';
import { CatalogStore } from '../catalog/store.js';
import type { Logger } from '../log.js';
import { parseState, unfinishedStreams } from '../singer/state.js';
import type { BudgetSource } from '../tap/budgets.js';
import { runSync, type ProgressEvent, type SyncSummary } from '../tap/sync.js';
import { fullSyncScheduled, planLine } from './plan.js';
import { stateForRun, syncSettingsOf } from './resume.js';
import { modelsFor, replicationMethods, selectedStreams, tableFor, type Source } from './source.js';
import { renderTable } from './table.js';

export interface PipelineOptions {
  source: Source;
  db: string;
  log: Logger;
  signal?: AbortSignal;
  /** Extra tap config merged over the source's (e.g. the sandbox's URL and token). */
  overrides?: RawConfig;
  /** Ignore a saved STATE and start a new full sync. */
  fresh?: boolean;
  /** A full pass of the incremental streams now (`conversas sync --full`). */
  full?: boolean;
  onProgress?: (event: ProgressEvent) => void;
  /** Told, before the first record, what the run will be and cost (one line). */
  onPlan?: (line: string) => void;
  now?: () => Date;
  /** Where the request budget comes from (a service lends one to the runs it starts). */
  budget?: BudgetSource;
}

export interface PipelineResult {
  tables: LoadedTable[];
  /** The service layer's views the switch made (`layer.name`). */
  models: string[];
  tap: SyncSummary;
  resumed: boolean;
}

export async function runPipeline(o: PipelineOptions): Promise<PipelineResult> {
  const raw = { ...o.source.config, ...o.overrides };
  let config = validateConfig(raw);
  const selected = selectedStreams(o.source, config);
  const methods = replicationMethods(o.source);
  const settings = syncSettingsOf(o.source, raw, config, selected);
  const store = await CatalogStore.open(o.db, {
    source: o.source.name,
    log: o.log,
    ...(o.now ? { now: o.now } : {}),
  });
  const loader = new CatalogLoader({
    store,
    source: o.source.name,
    retentionDays: o.source.retention_days,
    log: o.log,
    resolve: (stream) => (selected.includes(stream) ? tableFor(o.source, stream) : undefined),
    settings,
    models: modelsFor(o.source, selected),
    // STATE comes after every contact; one commit a second is plenty (a kill loses at most that).
    stateEveryMs: 1000,
    // The STATE of a completed sync (nothing left to resume) is saved with the switch of its tables.
    completesSync: (value) => unfinishedStreams(parseState(value)).length === 0,
  });
  try {
    const saved = o.fresh ? undefined : await store.loadState(o.source.name);
    const run = stateForRun(saved, settings, config, o.log);
    const { state, resumed } = run;
    config = run.config;
    if (!resumed) await store.discardUnfinished(o.source.name);
    const now = o.now ? () => o.now!().getTime() : Date.now;
    const full = o.full === true || fullSyncScheduled(o.source, state, now(), o.log);
    if (o.onPlan && methods.size > 0)
      o.onPlan(
        await planLine({ config, selected, state, methods, full, now: now(), log: o.log, nextOnly: true }),
      );
    let tap: SyncSummary;
    try {
      tap = await runSync({
        config,
        selected,
        sink: loader,
        log: o.log,
        state,
        methods,
        full,
        now,
        ...(o.signal ? { signal: o.signal } : {}),
        ...(o.onProgress ? { onProgress: o.onProgress } : {}),
        ...(o.budget ? { budget: o.budget } : {}),
      });
    } catch (error) {
      if (o.signal?.aborted && o.signal.reason instanceof InterruptedError) {
        throw new UserError(
          `${o.signal.reason.message.split(';')[0]}; current tables are unchanged; run sync again to resume`,
          130,
        );
      }
      throw error;
    }
    const incomplete = await loader.finish();
    if (incomplete.length)
      throw new UserError(
        `the tap ended without finishing ${incomplete.join(', ')}; current tables are unchanged`,
      );
    return { tables: loader.loaded, models: store.madeModels, tap, resumed };
  } finally {
    loader.close();
    await store.close();
  }
}

export function formatSummary(result: PipelineResult): string {
  const table = renderTable(
    result.tables.map((t) => ({ ...t, seconds: t.seconds.toFixed(1) })),
    ['layer', 'folder', 'table', 'rows', 'version', 'seconds'],
    { alignRight: ['rows', 'version', 'seconds'] },
  );
  const unreadable = Object.entries(result.tap.unreadable).flatMap(([stream, reasons]) =>
    Object.entries(reasons).map(([reason, pages]) => `${stream}: ${pages} page(s) gave no rows: ${reason}\n`),
  );
  const encrypted = Object.entries(result.tap.encrypted).map(
    ([reason, pages]) => `history pages kept encrypted: ${pages} (${reason})\n`,
  );
  const models = result.models.length
    ? `metrics views (made again over these tables): ${result.models.join(', ')}\n`
    : '';
  return table + models + unreadable.join('') + encrypted.join('');
}
