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
import { createLogger } from '../log.js';
import { SourceDirectory } from '../pipeline/directory.js';
import { formatSummary, runPipeline } from '../pipeline/sync.js';
import { redactor } from '../redact.js';
import type { ProgressEvent } from '../tap/sync.js';
import { borrowedBudget } from './budget-broker.js';

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

async function run(start: StartMessage): Promise<WorkerMessage & { kind: 'done' }> {
  const controller = new AbortController();
  const interrupt = (why: string): void => {
    if (!controller.signal.aborted) controller.abort(new InterruptedError(why));
  };
  process.on('SIGTERM', () => interrupt('a stop'));
  process.on('SIGINT', () => interrupt('SIGINT'));
  process.on('disconnect', () => interrupt('the service ending'));
  const log = createLogger((line) => send({ kind: 'log', line: line.trimEnd() }), 'info');
  try {
    const source = new SourceDirectory(start.root).read(start.source);
    const result = await runPipeline({
      source,
      db: start.db,
      log,
      signal: controller.signal,
      overrides: start.overrides,
      full: start.full,
      budget: borrowedBudget(process as unknown as Parameters<typeof borrowedBudget>[0]),
      onProgress: (progress) => send({ kind: 'progress', progress }),
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
  } catch (error) {
    const message = redactor.redact(error instanceof Error ? error.message : String(error));
    return {
      kind: 'done',
      ok: false,
      code: error instanceof UserError ? error.exitCode : 1,
      summary: message,
      requests: 0,
      rows: {},
      error: message,
    };
  }
}

process.once('message', (message: StartMessage) => {
  void run(message).then((done) => {
    send(done);
    // Leave once the service has the outcome (or is gone).
    if (process.connected) process.disconnect();
    process.exitCode = done.code;
  });
});
