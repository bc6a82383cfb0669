/**
 * The sync: checks the selection, then runs every selected stream at once through one reader (one client,
 * one limiter) into one session (Singer messages and STATE). A child stream's partitions fan out while its
 * parent is still paging. Knows no stream by name: what a stream needs is in its definition.
 */
import { setMaxListeners } from 'node:events';
import type { TapConfig } from '../config.js';
import { decryptHistory, loadHistoryKey } from '../crypto/jwe.js';
import { DecryptOutcomes } from '../crypto/outcomes.js';
import { ConfigError } from '../errors.js';
import type { Logger } from '../log.js';
import type { SingerSink } from '../singer/messages.js';
import type { StreamSelection } from '../singer/selection.js';
import type { TapState } from '../singer/state.js';
import {
  isChild,
  isDerived,
  missingSettings,
  type ChildStream,
  type StreamDefinition,
} from '../streams/define.js';
import { streamByName } from '../streams/index.js';
import { StreamOutputs } from './outputs.js';
import { StreamReader } from './reader.js';
import { accountOf } from './account.js';
import { holdBudget, type BudgetSource } from './budgets.js';
import {
  describePlan,
  planRun,
  readStreamNamed,
  type ReadPlan,
  type ReplicationMethod,
  type RunPlan,
} from './read-plan.js';
import { SyncSession, type ProgressEvent } from './session.js';
import { syncFamily, syncStream } from './tasks.js';

export type { ProgressEvent } from './session.js';

export interface SyncOptions {
  config: TapConfig;
  selected: readonly string[];
  state?: TapState;
  sink: SingerSink;
  log: Logger;
  signal?: AbortSignal;
  onProgress?: (event: ProgressEvent) => void;
  /** The limiter's burst (requests that may go at once after a quiet spell). */
  burst?: number;
  now?: () => number;
  /** Field selection and schemas from an input catalog, per stream. */
  selections?: ReadonlyMap<string, StreamSelection>;
  /** The replication method asked for each stream (FULL_TABLE when absent). */
  methods?: ReadonlyMap<string, ReplicationMethod>;
  /** A full pass of every incremental stream, whatever its bookmark says. */
  full?: boolean;
  /** Where the request budget comes from (this process's per account, unless a service lends one). */
  budget?: BudgetSource;
}

export interface SyncSummary {
  records: Record<string, number>;
  /** Per stream: base records (pages) that gave no records, by reason. */
  unreadable: Record<string, Record<string, number>>;
  /** History pages kept encrypted, by reason (none when every page decrypted). */
  encrypted: Record<string, number>;
  requests: number;
  retries: number;
  throttles: number;
  seconds: number;
}

/** Checks a selection against the config before any request (a clear error instead of a half sync). */
export function checkSelection(selected: readonly string[], config: TapConfig): StreamDefinition[] {
  const streams = selected.map((name) => {
    const stream = streamByName(name);
    if (!stream) throw new ConfigError(`unknown stream "${name}"; run --discover for the list`);
    return stream;
  });
  for (const s of streams) {
    const [missing] = [
      ...missingSettings(s, config),
      ...(isDerived(s) ? missingSettings(readStreamNamed(s.base, `the base of ${s.name}`), config) : []),
    ];
    if (missing)
      throw new ConfigError(
        `${s.name} is selected but ${missing} is not set: set ${missing}${missing.endsWith('_date') ? ' (e.g. 2026-01-01)' : ''} or deselect ${s.name}`,
      );
  }
  return streams;
}

export async function runSync(o: SyncOptions): Promise<SyncSummary> {
  const started = Date.now();
  const { config, log } = o;
  const streams = checkSelection(o.selected, config);
  const key = config.private_key_jwk ? await loadHistoryKey(config.private_key_jwk) : undefined;
  const outcomes = new DecryptOutcomes(key);

  // Aborted by the caller's signal (SIGINT/SIGTERM) or by the first failing stream.
  const run = new AbortController();
  // Every request in flight and every wait for the limiter listens to it: as many as the concurrency allows,
  // each removed when it settles (not a leak, so no warning).
  setMaxListeners(0, run.signal);
  const signal = o.signal;
  const onAbort = (): void => run.abort(signal?.reason);
  if (signal?.aborted) onAbort();
  signal?.addEventListener('abort', onAbort, { once: true });
  const budget = (o.budget ?? holdBudget)(config, o.burst ?? 5);
  if (budget.shared) log.info('another sync of this account is running: the two share its request budget');
  const reader = new StreamReader({
    config,
    log,
    decrypt: async (jwe) => outcomes.record(await decryptHistory(jwe, key)),
    signal: run.signal,
    limiter: budget.limiter,
  });
  const session = new SyncSession({
    sink: o.sink,
    log,
    state: o.state,
    now: o.now ?? Date.now,
    onProgress: o.onProgress,
    selections: o.selections,
    keepNul: config.keep_nul,
  });

  try {
    const plan = planRun({
      streams,
      methods: o.methods ?? new Map(),
      state: session.state,
      config,
      account: accountOf(config),
      now: (o.now ?? Date.now)(),
      ...(o.full ? { force: 'full' as const } : {}),
    });
    for (const line of describePlan(plan)) log.info(line);
    for (const warning of plan.warnings) log.warn(warning);
    const whole = plan.streams.filter((p) => p.whole);
    if (whole.length)
      log.info(
        `resuming: ${whole.map((p) => p.stream.name).join(', ')} whole before the interruption (their tables switch with this sync)`,
      );
    for (const p of whole) await session.announce(p);
    // Every stream at once: the limiter, not the order, decides the pace, and a latency-bound run is not
    // held up by a string of one-request streams. The first failure stops the others.
    const tasks = tasksOf(plan, session).map((task) =>
      task(reader, session, config).catch((error: unknown) => {
        run.abort(error);
        return Promise.reject(error);
      }),
    );
    const settled = await Promise.allSettled(tasks);
    const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw run.signal.reason ?? failed.reason;
    await session.complete();
  } catch (error) {
    await session.interrupted();
    throw error;
  } finally {
    signal?.removeEventListener('abort', onAbort);
    budget.release();
  }

  return {
    records: session.counts,
    unreadable: session.unreadableCounts,
    encrypted: outcomes.kept,
    requests: reader.client.requests,
    retries: reader.client.retries,
    throttles: reader.limiter.throttles,
    seconds: (Date.now() - started) / 1000,
  };
}

type Task = (reader: StreamReader, session: SyncSession, config: TapConfig) => Promise<void>;

/**
 * The plan's reads as tasks: one per stream read alone, and one per parent with its children (the parent is
 * read once for all of them, written only when selected itself). An incremental child finds its partitions
 * without the parent: the two are read side by side.
 */
function tasksOf(plan: RunPlan, session: SyncSession): Task[] {
  const children = plan.reads.filter((r) => isChild(r.read));
  const parents = [...new Set(children.map((c) => (c.read as ChildStream).parent.stream))];
  const tasks: Task[] = plan.reads
    .filter((r) => !isChild(r.read) && !parents.includes(r.read.name))
    .map((r) => (reader) => syncStream(new StreamOutputs(session, r), reader));
  for (const name of parents) {
    const parentPlan = plan.reads.find((r) => r.read.name === name)!;
    tasks.push(async (reader, session, config) => {
      const parentOutputs = new StreamOutputs(session, parentPlan);
      const kids = children
        .filter((c) => (c.read as ChildStream).parent.stream === name)
        .map((c) => new StreamOutputs(session, c as ReadPlan & { read: ChildStream }));
      const alone = kids.filter((k) => !k.empty && k.incremental);
      const due = kids.filter((k) => !k.empty && !k.incremental);
      const family = async (): Promise<void> => {
        // Children whole in the interrupted run: the parent, if still due, is an ordinary stream.
        if (due.length === 0) return syncStream(parentOutputs, reader);
        for (const [i, kid] of due.entries())
          await syncFamily(
            i === 0 ? parentOutputs : new StreamOutputs(session, parentPlan, false),
            kid,
            reader,
            session,
            config,
          );
      };
      await Promise.all([
        family(),
        ...alone.map((kid) => syncFamily(undefined, kid, reader, session, config)),
      ]);
    });
  }
  return tasks;
}
