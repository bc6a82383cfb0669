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
import { parseState } from '../singer/state.js';
import { runSync, type ProgressEvent, type SyncSummary } from '../tap/sync.js';
import { selectedStreams, tableFor, type Source } from './source.js';
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
  onProgress?: (event: ProgressEvent) => void;
  now?: () => Date;
}

export interface PipelineResult {
  tables: LoadedTable[];
  tap: SyncSummary;
  resumed: boolean;
}

export async function runPipeline(o: PipelineOptions): Promise<PipelineResult> {
  const config = validateConfig({ ...o.source.config, ...o.overrides });
  const selected = selectedStreams(o.source, config);
  const store = await CatalogStore.open(o.db, o.now ? { now: o.now } : {});
  const loader = new CatalogLoader({
    store,
    source: o.source.name,
    retentionDays: o.source.retention_days,
    log: o.log,
    resolve: (stream) => (selected.includes(stream) ? tableFor(o.source, stream) : undefined),
  });
  try {
    const saved = o.fresh ? undefined : parseState(await store.loadState(o.source.name));
    const resumed = saved !== undefined && Object.keys(saved.bookmarks).length > 0;
    if (resumed) o.log.info(`resuming the interrupted sync (${Object.keys(saved.bookmarks).join(', ')})`);
    let tap: SyncSummary;
    try {
      tap = await runSync({
        config,
        selected,
        sink: loader,
        log: o.log,
        ...(resumed ? { state: saved } : {}),
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

/** The summary a sync prints: one row per table loaded, then what could not be read, by stream and reason. */
export function formatSummary(result: PipelineResult): string {
  const table = renderTable(
    result.tables.map((t) => ({ ...t, seconds: t.seconds.toFixed(1) })),
    ['layer', 'folder', 'table', 'rows', 'version', 'seconds'],
    { alignRight: ['rows', 'version', 'seconds'] },
  );
  const unreadable = Object.entries(result.tap.unreadable).flatMap(([stream, reasons]) =>
    Object.entries(reasons).map(([reason, pages]) => `${stream}: ${pages} page(s) gave no rows: ${reason}\n`),
  );
  return table + unreadable.join('');
}
