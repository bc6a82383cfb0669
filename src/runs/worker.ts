/**
 * One run in a process of its own, forked by the run service (service.ts): it waits for its `start` message (the
 * source's directory and name, the catalog, overrides such as the sandbox's credentials: never in argv or the
 * environment, where other users' tools could read them), runs the pipeline, and tells the service its plan,
 * log lines, progress and outcome over the IPC channel; its requests borrow the service's budget for the
 * account (budget-broker.ts). SIGTERM (a stop) or losing the service (it was killed) interrupts the sync the
 * usual way: the staged rows and STATE are kept and the current tables stay as they were, for a resume.
 */
import process from 'node:process';
import type { RawConfig } from '../config.js';
import { InterruptedError, UserError } from '../errors.js';
import { createLogger, type Logger } from '../log.js';
import { SourceDirectory } from '../pipeline/directory.js';
import { formatSummary, runPipeline } from '../pipeline/sync.js';
import { redactor } from '../redact.js';
import type { ProgressEvent } from '../tap/sync.js';
import type { BudgetSource } from '../tap/budgets.js';
import type { RunSample } from './records.js';
import { borrowedBudget } from './budget-broker.js';

/** How often the run tells its service what it has done (for the run's picture). */
const SAMPLE_EVERY_MS = 5000;

export interface StartMessage {
  kind: 'start';
  root: string;
  source: string;
  db: string;
  overrides: RawConfig;
  full: boolean;
}

/** What a run tells its service. */
export type WorkerMessage =
  | { kind: 'log'; line: string }
  | { kind: 'progress'; progress: ProgressEvent }
  | { kind: 'sample'; sample: RunSample; budgetPerMinute: number }
  | {
      kind: 'done';
      ok: boolean;
      /** The exit code `conversas sync` would give (130: interrupted). */
      code: number;
      summary: string;
      requests: number;
      rows: Record<string, number>;
      error: string | null;
    };

const send = (message: WorkerMessage): void => {
  if (process.connected) process.send!(message);
};

/** What the run has done so far, sampled every few seconds for its picture. */
let requests = 0;
let throttled = 0;
let budgetPerMinute = 0;
const records: Record<string, number> = {};
const sample = (): void =>
  send({
    kind: 'sample',
    sample: { at: new Date().toISOString(), requests, throttled, records: { ...records } },
    budgetPerMinute,
  });

/** The budget, counting the requests it lets go and the 429s it is told of. */
const counted =
  (source: BudgetSource): BudgetSource =>
  (config, burst) => {
    budgetPerMinute = config.requests_per_minute;
    const budget = source(config, burst);
    const { limiter } = budget;
    return {
      ...budget,
      limiter: {
        get throttles() {
          return limiter.throttles;
        },
        acquire: async (signal?: AbortSignal) => {
          await limiter.acquire(signal);
          requests += 1;
        },
        throttled: (ms?: number) => {
          throttled += 1;
          limiter.throttled(ms);
        },
        succeeded: () => limiter.succeeded(),
      },
    };
  };

async function run(start: StartMessage): Promise<WorkerMessage & { kind: 'done' }> {
  sample();
  const sampling = setInterval(sample, SAMPLE_EVERY_MS);
  const controller = new AbortController();
  const interrupt = (why: string): void => {
    if (!controller.signal.aborted) controller.abort(new InterruptedError(why));
  };
  process.on('SIGTERM', () => interrupt('a stop'));
  process.on('SIGINT', () => interrupt('SIGINT'));
  process.on('disconnect', () => interrupt('the service ending'));
  const log = createLogger((line) => send({ kind: 'log', line: line.trimEnd() }), 'info');
  try {
    try {
      return await runSource(start, controller, log);
    } finally {
      clearInterval(sampling);
      sample();
    }
  } catch (error) {
    const message = redactor.redact(error instanceof Error ? error.message : String(error));
    return {
      kind: 'done',
      ok: false,
      code: error instanceof UserError ? error.exitCode : 1,
      summary: message,
      requests,
      rows: {},
      error: message,
    };
  }
}

async function runSource(
  start: StartMessage,
  controller: AbortController,
  log: Logger,
): Promise<WorkerMessage & { kind: 'done' }> {
  const source = new SourceDirectory(start.root).read(start.source);
  const result = await runPipeline({
    source,
    db: start.db,
    log,
    signal: controller.signal,
    overrides: start.overrides,
    full: start.full,
    budget: counted(borrowedBudget(process as unknown as Parameters<typeof borrowedBudget>[0])),
    onProgress: (progress) => {
      records[progress.stream] = progress.records;
      send({ kind: 'progress', progress });
    },
    onPlan: (line) => send({ kind: 'log', line }),
  });
  return {
    kind: 'done',
    ok: true,
    code: 0,
    summary: formatSummary(result),
    requests: result.tap.requests,
    rows: Object.fromEntries(result.tables.map((t) => [`${t.layer}.${t.table}`, t.rows])),
    error: null,
  };
}

process.once('message', (message: StartMessage) => {
  void run(message).then((done) => {
    send(done);
    // Leave once the service has the outcome (or is gone).
    if (process.connected) process.disconnect();
    process.exitCode = done.code;
  });
});
