/**
 * "Run now": a source's sync in this process (the pipeline's own `runPipeline`), one at a time per catalog (DuckDB
 * has one writer), with its progress per stream and its log lines fanned out to whoever watches (the page, over
 * server-sent events), and a record of the run kept beside the source.
 */
import type { RawConfig } from '../config.js';
import { UserError } from '../errors.js';
import { createLogger } from '../log.js';
import { formatSummary, runPipeline } from '../pipeline/sync.js';
import { redactor } from '../redact.js';
import type { ProgressEvent } from '../tap/sync.js';
import type { RunRecord, SourceDirectory } from '../pipeline/directory.js';

export type RunEvent =
  | { type: 'progress'; progress: ProgressEvent }
  | { type: 'log'; line: string }
  | { type: 'done'; ok: boolean; summary: string; last: RunRecord };

interface Run {
  source: string;
  events: RunEvent[];
  watchers: Set<(event: RunEvent) => void>;
  finished: boolean;
}

export class RunManager {
  private current: Run | undefined;
  /** Settles when the current run has ended and been recorded. */
  private settled: Promise<void> = Promise.resolve();
  private readonly last = new Map<string, Run>();

  constructor(
    private readonly sources: SourceDirectory,
    private readonly db: string,
    /** Tap config merged over every source's (the sandbox's URL when the app runs on it). */
    private readonly overrides: RawConfig = {},
  ) {}

  get running(): string | undefined {
    return this.current?.source;
  }

  start(name: string): void {
    if (this.current)
      throw new UserError(
        `a sync of "${this.current.source}" is running: one sync at a time writes the catalog`,
      );
    const source = this.sources.read(name);
    const run: Run = { source: name, events: [], watchers: new Set(), finished: false };
    this.current = run;
    this.last.set(name, run);
    const emit = (event: RunEvent): void => {
      run.events.push(event);
      for (const watcher of run.watchers) watcher(event);
    };
    // Per stream only the latest progress matters to a page that joins late.
    const started = Date.now();
    const log = createLogger((line) => emit({ type: 'log', line: line.trimEnd() }), 'info');
    this.settled = runPipeline({
      source,
      db: this.db,
      log,
      overrides: this.overrides,
      onProgress: (progress) => emit({ type: 'progress', progress }),
      onPlan: (line) => emit({ type: 'log', line }),
    })
      .then(
        (result) => {
          const last: RunRecord = {
            started_at: new Date(started).toISOString(),
            seconds: (Date.now() - started) / 1000,
            rows: result.tables.reduce((n, t) => n + t.rows, 0),
            requests: result.tap.requests,
            result: 'ok',
            message: `${result.tables.length} table(s)`,
          };
          this.sources.recordRun(name, last);
          emit({ type: 'done', ok: true, summary: formatSummary(result), last });
        },
        (error: unknown) => {
          const message = redactor.redact(error instanceof Error ? error.message : String(error));
          const last: RunRecord = {
            started_at: new Date(started).toISOString(),
            seconds: (Date.now() - started) / 1000,
            rows: 0,
            requests: 0,
            result: 'failed',
            message,
          };
          this.sources.recordRun(name, last);
          emit({ type: 'done', ok: false, summary: message, last });
        },
      )
      .finally(() => {
        run.finished = true;
        if (this.current === run) this.current = undefined;
      });
  }

  /** Every event of the source's latest run so far, then each new one until it is done. */
  watch(name: string, watcher: (event: RunEvent) => void): () => void {
    const run = this.last.get(name);
    if (!run) return () => undefined;
    for (const event of compact(run.events)) watcher(event);
    if (run.finished) return () => undefined;
    run.watchers.add(watcher);
    return () => run.watchers.delete(watcher);
  }

  /** Resolves when no sync is running (for a clean shutdown). */
  idle(): Promise<void> {
    return this.settled;
  }
}

/** The latest progress of each stream, and every other event, in order. */
function compact(events: readonly RunEvent[]): RunEvent[] {
  const latest = new Map<string, number>();
  events.forEach((e, i) => e.type === 'progress' && latest.set(e.progress.stream, i));
  return events.filter((e, i) => e.type !== 'progress' || latest.get(e.progress.stream) === i);
}
