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
import { parseState, unfinishedStreams, withoutProgress } from '../singer/state.js';
import { runSync, type ProgressEvent, type SyncSummary } from '../tap/sync.js';
import { fullSyncScheduled, planLine } from './plan.js';
import { replicationMethods, selectedStreams, tableFor, type Source } from './source.js';
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
}

export interface PipelineResult {
  tables: LoadedTable[];
  tap: SyncSummary;
  resumed: boolean;
}

/** What a sync is of: a resume must be of the same thing, or start over. */
interface SyncSettings {
  api_url: string;
  start_date: string | null;
  /** The end_date setting as given (null: "today", which a resume keeps from the interrupted run). */
  end_date_setting: string | null;
  streams: string[];
  tables: string[];
  /** The end day the interrupted run used (not compared: reused when end_date is "today"). */
  end_date: string;
}

const COMPARED: [keyof SyncSettings, string][] = [
  ['api_url', 'api_url'],
  ['start_date', 'start_date'],
  ['end_date_setting', 'end_date'],
  ['streams', 'the selected streams'],
  ['tables', 'the tables (layer, folder, prefix or names)'],
];

/** Why a saved STATE cannot be resumed by this sync, or undefined when it can. */
function differences(saved: unknown, now: SyncSettings): string | undefined {
  if (!saved || typeof saved !== 'object') return 'it was saved by another command';
  const old = saved as Partial<SyncSettings>;
  const changed = COMPARED.filter(([key]) => JSON.stringify(old[key]) !== JSON.stringify(now[key]));
  return changed.length ? `${changed.map(([, label]) => label).join(', ')} changed` : undefined;
}

/** Whether a saved STATE is of this account and history start (its incremental bookmarks apply). */
function sameOrigin(saved: unknown, now: SyncSettings): boolean {
  const old = (saved ?? {}) as Partial<SyncSettings>;
  return (
    saved === null ||
    saved === undefined ||
    (old.api_url === now.api_url && old.start_date === now.start_date)
  );
}

export async function runPipeline(o: PipelineOptions): Promise<PipelineResult> {
  const raw = { ...o.source.config, ...o.overrides };
  let config = validateConfig(raw);
  const selected = selectedStreams(o.source, config);
  const endSetting = raw['end_date'] === undefined || raw['end_date'] === '' ? null : String(raw['end_date']);
  const settings: SyncSettings = {
    api_url: config.api_url,
    start_date: config.start_date ?? null,
    end_date_setting: endSetting,
    streams: selected,
    tables: selected.map((s) => {
      const t = tableFor(o.source, s);
      return `${s}=${t.layer}.${t.name}`;
    }),
    end_date: config.end_date,
  };
  const store = await CatalogStore.open(o.db, o.now ? { now: o.now } : {});
  const loader = new CatalogLoader({
    store,
    source: o.source.name,
    retentionDays: o.source.retention_days,
    log: o.log,
    resolve: (stream) => (selected.includes(stream) ? tableFor(o.source, stream) : undefined),
    settings,
    // STATE comes after every contact; one commit a second is plenty (a kill loses at most that).
    stateEveryMs: 1000,
  });
  try {
    const saved = o.fresh ? undefined : await store.loadState(o.source.name);
    let state = parseState(saved?.value);
    const unfinished = unfinishedStreams(state);
    let resumed = unfinished.length > 0;
    const why = resumed ? differences(saved?.settings, settings) : undefined;
    if (why) {
      o.log.warn(`not resuming the interrupted sync (${why} since): starting over`);
      state = withoutProgress(state);
      resumed = false;
    }
    // Bookmarks of incremental streams hold for the same account and history start only.
    if (!sameOrigin(saved?.settings, settings)) state = { bookmarks: {} };
    if (resumed) {
      o.log.info(`resuming the interrupted sync (${unfinished.join(', ')})`);
      // "Today" is the day the interrupted run started: a resume the next day reads the same window.
      const savedEnd = (saved?.settings as SyncSettings).end_date;
      if (endSetting === null && savedEnd !== config.end_date) {
        config = { ...config, end_date: savedEnd };
        settings.end_date = savedEnd;
      }
    } else await store.discardUnfinished(o.source.name);
    const now = o.now ? () => o.now!().getTime() : Date.now;
    const full = o.full === true || fullSyncScheduled(o.source, state, now(), o.log);
    const methods = replicationMethods(o.source);
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
    return { tables: loader.loaded, tap, resumed };
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
  return table + unreadable.join('') + encrypted.join('');
}
