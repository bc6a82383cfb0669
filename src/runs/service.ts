/**
 * The run service: runs the sources of a directory, each run in a process of its own (worker.ts), so a run never
 * holds up the web server or another run, can be stopped, and outlives any page. Every run is a record with its
 * log (records.ts); whoever watches a source (a page, another tab, `conversas run`) gets what the run said so far
 * and then each new event. Runs of one account share its budget (budget-broker.ts). A run recorded as running
 * whose process is gone was interrupted (the service was stopped or killed): `recover` marks it so and resumes it.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, writeSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { RawConfig } from '../config.js';
import { UserError } from '../errors.js';
import type { Logger } from '../log.js';
import { SourceDirectory } from '../pipeline/directory.js';
import type { ProgressEvent } from '../tap/sync.js';
import { childBorrower, lendBudgets } from './budget-broker.js';
import { after, earlierLegs, RunStore, type RunRecord, type RunSample, type RunTrigger } from './records.js';
import type { StartMessage, WorkerMessage } from './worker.js';

// dist/runs/worker.js from here, whether this module runs built (dist/runs) or from source under test (src/runs).
const WORKER = fileURLToPath(new URL('../../dist/runs/worker.js', import.meta.url));
/** How long a stopped run may take to leave before it is killed (its staged rows are safe either way). */
const STOP_GRACE_MS = 4000;
/** The most samples a run's record keeps for its picture. */
const MAX_SAMPLES = 400;
/** How often a running run's record is rewritten with its progress. */
const PROGRESS_EVERY_MS = 2000;

export type RunEvent =
  | { type: 'progress'; progress: ProgressEvent }
  | { type: 'log'; line: string }
  | { type: 'done'; run: RunRecord; summary: string };

interface Active {
  record: RunRecord;
  child: ChildProcess;
  events: RunEvent[];
  watchers: Set<(event: RunEvent) => void>;
  /** Why it is being ended by us, if it is: a user's stop, or the service's own shutdown. */
  ending?: 'stopped' | 'interrupted';
  settled: Promise<RunRecord>;
}

export interface RunServiceOptions {
  /** The directory: sources in `<root>/sources`, runs in `<root>/runs`. */
  root: string;
  db: string;
  log: Logger;
  /** The running sandbox's URL, token and key: merged at run time into a source made to try it. */
  sandbox?: RawConfig;
}

export class RunService {
  readonly records: RunStore;
  readonly sources: SourceDirectory;
  private readonly active = new Map<string, Active>();
  /** The events of each source's latest ended run in this service, for a page that opens after it ended. */
  private readonly ended = new Map<string, RunEvent[]>();
  /** Told of each run as it starts (a Sources page open in a tab follows the runs it did not start). */
  private readonly startWatchers = new Set<(source: string) => void>();

  constructor(private readonly o: RunServiceOptions) {
    this.records = new RunStore(o.root);
    this.sources = new SourceDirectory(o.root);
  }

  isRunning(source: string): boolean {
    return this.active.has(source);
  }

  running(): RunRecord[] {
    return [...this.active.values()].map((a) => a.record);
  }

  /**
   * Starts a run of `source` now (refused while one of it runs), or goes on with an interrupted one: the same
   * record, running again (its sync resumes from what it staged).
   */
  start(source: string, trigger: RunTrigger = 'manual', resuming?: RunRecord): RunRecord {
    if (this.active.has(source)) throw new UserError(`"${source}" is running already`);
    this.sources.read(source); // a source that cannot run is refused here, not in the run
    const onSandbox = this.sources.raw(source)['sandbox'] === true;
    if (onSandbox && !this.o.sandbox)
      throw new UserError(
        `"${source}" runs on the sandbox, and none runs here: start the service with --sandbox (conversas serve --sandbox)`,
      );
    const child = fork(WORKER, [], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'], serialization: 'json' });
    const record = resuming
      ? this.records.update(resuming, {
          status: 'running',
          ended_at: null,
          error: null,
          pid: child.pid ?? null,
          resumed: (resuming.resumed ?? 0) + 1,
        })
      : this.records.begin(source, trigger, child.pid ?? null);
    const logFd = openSync(this.records.logOf(record), 'a', 0o600);
    const active: Active = {
      record,
      child,
      events: [],
      watchers: new Set(),
      settled: Promise.resolve(record),
    };
    const emit = (event: RunEvent): void => {
      active.events.push(event);
      for (const watcher of active.watchers) watcher(event);
    };
    const writeLine = (line: string): void => {
      writeSync(logFd, `${line}\n`);
      emit({ type: 'log', line });
    };
    lendBudgets(childBorrower(child));
    let outcome: (WorkerMessage & { kind: 'done' }) | undefined;
    let note: string | undefined;
    const progress: Record<string, number> = {};
    let progressSaved = Date.now();
    // A resumed run's picture goes on from where it was: its worker counts from 0 again, so what the earlier
    // legs did (as their last sample, or their end, says) is added to what this one reports.
    let timeline: RunSample[] = [...(resuming?.timeline ?? [])];
    const before = earlierLegs(resuming);
    let budgetPerMinute = resuming?.budget_per_minute;
    child.on('message', (message: WorkerMessage) => {
      if (message.kind === 'log') {
        if (/not resuming the interrupted sync/.test(message.line)) note = message.line.replace(/^\w+ /, '');
        writeLine(message.line);
      } else if (message.kind === 'progress') {
        emit({ type: 'progress', progress: message.progress });
        progress[message.progress.stream] = message.progress.records;
        if (Date.now() - progressSaved >= PROGRESS_EVERY_MS && !outcome && this.active.has(source)) {
          progressSaved = Date.now();
          active.record = this.records.update(active.record, {
            progress: { ...progress },
            timeline,
            ...(budgetPerMinute ? { budget_per_minute: budgetPerMinute } : {}),
          });
        }
      } else if (message.kind === 'sample') {
        budgetPerMinute = message.budgetPerMinute || budgetPerMinute;
        timeline.push(after(before, message.sample));
        // A day-long run keeps a few hundred samples: every other one goes when there are too many.
        if (timeline.length > MAX_SAMPLES)
          timeline = timeline.filter((_, i) => i % 2 === 0 || i === timeline.length - 1);
      } else if (message.kind === 'done') outcome = message;
    });
    // A worker that fails before it can say so (it crashed, or could not start) leaves its words on stderr.
    child.stderr?.on('data', (data: Buffer) => {
      for (const line of data.toString().split('\n')) if (line.trim()) writeLine(line.trimEnd());
    });
    this.active.set(source, active);
    for (const watcher of this.startWatchers) watcher(source);
    active.settled = new Promise<RunRecord>((resolve) => {
      child.once('close', (code, signal) => {
        closeSync(logFd);
        const status = !outcome
          ? (active.ending ?? 'failed')
          : outcome.ok
            ? 'succeeded'
            : outcome.code === 130
              ? (active.ending ?? 'interrupted')
              : 'failed';
        const error =
          status === 'succeeded'
            ? null
            : (outcome?.error ??
              (active.ending === 'stopped'
                ? 'stopped'
                : `the run's process ended unexpectedly (${signal ?? `exit ${code}`})`));
        const ended = this.records.end(active.record, status, {
          progress: { ...progress },
          timeline,
          ...(budgetPerMinute ? { budget_per_minute: budgetPerMinute } : {}),
          requests: before.requests + (outcome?.requests ?? 0),
          rows: outcome?.rows ?? {},
          error:
            status === 'stopped' ? 'stopped: the current tables are unchanged; the next run resumes' : error,
          ...(note ? { note } : {}),
        });
        this.active.delete(source);
        emit({ type: 'done', run: ended, summary: outcome?.summary ?? ended.error ?? '' });
        this.ended.set(source, active.events);
        this.prune(source);
        this.o.log.info(`run ${ended.id} of "${source}" ${ended.status}`);
        resolve(ended);
      });
    });
    const start: StartMessage = {
      kind: 'start',
      root: this.o.root,
      source,
      db: this.o.db,
      overrides: onSandbox ? this.o.sandbox! : {},
      full: record.trigger === 'full-sync',
    };
    child.send(start);
    this.o.log.info(`run ${record.id} of "${source}" ${resuming ? 'resumed' : `started (${trigger})`}`);
    return record;
  }

  /** Ends the source's run, if one is going: its tables stay as they were, the next run resumes. */
  async stop(source: string, why: 'stopped' | 'interrupted' = 'stopped'): Promise<RunRecord | undefined> {
    const active = this.active.get(source);
    if (!active) return undefined;
    active.ending ??= why;
    active.child.kill('SIGTERM');
    const timer = setTimeout(() => active.child.kill('SIGKILL'), STOP_GRACE_MS);
    try {
      return await active.settled;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Tells `watcher` the source of each run the service starts from now on, until the returned function is called. */
  onStart(watcher: (source: string) => void): () => void {
    this.startWatchers.add(watcher);
    return () => this.startWatchers.delete(watcher);
  }

  /** Resolves once the source's current run has ended (at once when none runs). */
  async finished(source: string): Promise<RunRecord | undefined> {
    return this.active.get(source)?.settled;
  }

  /** What the source's run said so far (its latest progress per stream), then each new event until it ends. */
  watch(source: string, watcher: (event: RunEvent) => void): () => void {
    const active = this.active.get(source);
    for (const event of compact(active?.events ?? this.ended.get(source) ?? [])) watcher(event);
    if (!active) return () => undefined;
    active.watchers.add(watcher);
    return () => active.watchers.delete(watcher);
  }

  /** Stops every run as interrupted (the next start resumes them), for a clean shutdown. */
  async shutdown(): Promise<void> {
    await Promise.all([...this.active.keys()].map((source) => this.stop(source, 'interrupted')));
  }

  /** Resolves when no run is going. */
  async idle(): Promise<void> {
    while (this.active.size) await Promise.all([...this.active.values()].map((a) => a.settled));
  }

  /**
   * Runs recorded as running by a process that is gone (a service killed, a `conversas run` that died) are
   * marked interrupted, once their process has ended; then each source whose latest run was interrupted (so too
   * by a service that stopped) has that run resumed (a source that changed starts over, and its run says so).
   */
  async recover(): Promise<RunRecord[]> {
    const resumed: RunRecord[] = [];
    const latest = new Map<string, RunRecord>();
    for (const run of this.records.list()) {
      if (run.status === 'running' && !this.active.has(run.source)) {
        // Its process leaves by itself once it has lost its service (the staged rows are kept): wait for that.
        if (run.pid !== null && run.pid !== process.pid) await endOf(run.pid, 30_000);
        const ended = this.records.end(run, 'interrupted', {
          error: 'interrupted: the service ended during the run',
        });
        if (!latest.has(run.source)) latest.set(run.source, ended);
      } else if (!latest.has(run.source)) latest.set(run.source, run);
    }
    // A source's latest run, interrupted (by a service that stopped or died), goes on; an older one is history.
    for (const [source, run] of latest) {
      if (run.status !== 'interrupted' || this.active.has(source) || !this.sources.names().includes(source))
        continue;
      this.o.log.info(`resuming the interrupted run ${run.id} of "${source}"`);
      try {
        resumed.push(this.start(source, run.trigger, run));
      } catch (error) {
        this.o.log.error(`run ${run.id} of "${source}" cannot resume: ${(error as Error).message}`);
      }
    }
    return resumed;
  }

  private prune(source: string): void {
    try {
      this.records.prune(source, this.sources.read(source).retention_days);
    } catch {
      // A source removed or broken meanwhile: its runs stay until it is back.
    }
  }
}

/** Waits up to `ms` for process `pid` to end (a pid since reused by another program is waited for only that long). */
async function endOf(pid: number, ms: number): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    try {
      process.kill(pid, 0);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ESRCH') return;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The latest progress of each stream, and every other event, in order. */
function compact(events: readonly RunEvent[]): RunEvent[] {
  const latest = new Map<string, number>();
  events.forEach((e, i) => e.type === 'progress' && latest.set(e.progress.stream, i));
  return events.filter((e, i) => e.type !== 'progress' || latest.get(e.progress.stream) === i);
}
