/**
 * The sync: checks the selection, then runs every selected stream at once through one reader (one client,
 * one limiter) into one session (Singer messages and STATE). A child stream's partitions fan out while its
 * parent is still paging. Knows no stream by name: what a stream needs is in its definition.
 */
import type { TapConfig } from '../config.js';
import { decryptHistory, loadHistoryKey } from '../crypto/jwe.js';
import { ConfigError } from '../errors.js';
import type { Logger } from '../log.js';
import type { SingerSink } from '../singer/messages.js';
import type { TapState } from '../singer/state.js';
import { isChild, missingSettings, type ChildStream, type StreamDefinition } from '../streams/define.js';
import { streamByName } from '../streams/index.js';
import { fanOut, FanOutError } from './fanout.js';
import { StreamReader } from './reader.js';
import { SyncSession, type ProgressEvent } from './session.js';

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
}

export interface SyncSummary {
  records: Record<string, number>;
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
    const [missing] = missingSettings(s, config);
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

  // Aborted by the caller's signal (SIGINT/SIGTERM) or by the first failing stream.
  const run = new AbortController();
  const signal = o.signal;
  const onAbort = (): void => run.abort(signal?.reason);
  if (signal?.aborted) onAbort();
  signal?.addEventListener('abort', onAbort, { once: true });
  const reader = new StreamReader({
    config,
    log,
    decrypt: (jwe) => decryptHistory(jwe, key),
    signal: run.signal,
    ...(o.burst !== undefined ? { burst: o.burst } : {}),
  });
  const session = new SyncSession({
    sink: o.sink,
    log,
    state: o.state,
    now: o.now ?? Date.now,
    onProgress: o.onProgress,
  });

  try {
    // Every stream at once: the limiter, not the order, decides the pace, and a latency-bound run is not
    // held up by a string of one-request streams. The first failure stops the others.
    const tasks = plan(streams, session).map((task) =>
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
  }

  return {
    records: session.counts,
    requests: reader.client.requests,
    retries: reader.client.retries,
    throttles: reader.limiter.throttles,
    seconds: (Date.now() - started) / 1000,
  };
}

type Task = (reader: StreamReader, session: SyncSession, config: TapConfig) => Promise<void>;

/**
 * One task per stream that stands alone, and one per parent with its children: the parent is read once for
 * all of them (emitted only when selected itself). Streams finished in an interrupted run are skipped.
 */
function plan(streams: readonly StreamDefinition[], session: SyncSession): Task[] {
  const children = streams.filter(isChild);
  const parents = [...new Set(children.map((c) => c.parent.stream))];
  const tasks: Task[] = streams
    .filter((s) => !isChild(s) && !parents.includes(s.name))
    .map((s) => (reader, session) => syncStream(s, reader, session));
  for (const parentName of parents) {
    const parent = streamByName(parentName);
    if (!parent) throw new ConfigError(`stream ${parentName} (a parent) is not in the registry`);
    const emitParent = streams.includes(parent) && !session.isDone(parent);
    const kids = children.filter((c) => c.parent.stream === parentName && !session.isDone(c));
    tasks.push(async (reader, session, config) => {
      // Children finished in the interrupted run: the parent, if still due, is an ordinary stream.
      if (kids.length === 0) return emitParent ? syncStream(parent, reader, session) : undefined;
      for (const child of kids)
        await syncFamily(parent, emitParent && child === kids[0], child, reader, session, config);
    });
  }
  return tasks;
}

async function syncStream(
  stream: StreamDefinition,
  reader: StreamReader,
  session: SyncSession,
): Promise<void> {
  if (session.isDone(stream)) return;
  const version = await session.begin(stream);
  for await (const page of reader.pages(stream)) {
    await session.emit(stream, version, page);
    session.progress(stream);
  }
  await session.finish(stream, version);
}

/** A parent stream (emitted or only read for its keys) and one child's partitions, concurrently. */
async function syncFamily(
  parent: StreamDefinition,
  emitParent: boolean,
  child: ChildStream,
  reader: StreamReader,
  session: SyncSession,
  config: TapConfig,
): Promise<void> {
  const parentVersion = emitParent ? await session.begin(parent) : 0;
  const resume = session.bookmark(child);
  const childVersion = await session.begin(child);
  const concurrency = Math.max(1, Math.floor(config.partition_concurrency));
  const link = child.parent;
  let lastState = Date.now();
  try {
    await fanOut({
      parentName: parent.name,
      childName: child.name,
      parentPages: () => reader.pages(parent, {}, Math.min(8, 2 * concurrency)),
      keyOf: link.key,
      readPartition: async (id, stopped) => {
        for await (const page of reader.pages(child, { [link.param]: id }, 1)) {
          if (stopped()) return;
          await session.emit(child, childVersion, page);
        }
      },
      ...(emitParent
        ? {
            onParentPage: async (page) => {
              await session.emit(parent, parentVersion, page);
              session.progress(parent);
            },
            afterFirstPass: () => session.finish(parent, parentVersion),
          }
        : {}),
      onProgress: async (progress, seen) => {
        session.progress(child, { done: progress.next_position, seen });
        session.save(child, { version: childVersion, ...progress });
        if (Date.now() - lastState >= config.state_interval_seconds * 1000) {
          lastState = Date.now();
          await session.writeState();
        }
      },
      resume,
      concurrency,
      log: session.log,
    });
  } catch (error) {
    if (!(error instanceof FanOutError)) throw error;
    session.save(child, { version: childVersion, ...error.progress });
    throw error.cause;
  }
  await session.finish(child, childVersion);
}
