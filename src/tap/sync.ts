/**
 * The sync: runs the selected streams through the one client and limiter, writes Singer messages to a
 * sink, and keeps a resumable STATE. Child partitions (history per contact) run concurrently while the
 * parent's pages are still arriving.
 */
import type { TapConfig } from '../config.js';
import { loadHistoryKey, decryptHistory, type HistoryKey } from '../crypto/jwe.js';
import { ConfigError } from '../errors.js';
import { ApiClient } from '../http/client.js';
import { RateLimiter } from '../http/limiter.js';
import { readPages, type PageResult } from '../http/paging.js';
import type { Logger } from '../log.js';
import type { SingerSink } from '../singer/messages.js';
import { PartitionTracker, type StreamBookmark, type TapState } from '../singer/state.js';
import type { StreamDefinition } from '../streams/define.js';
import { streamByName } from '../streams/index.js';
import { AsyncQueue } from './queue.js';

export interface ProgressEvent {
  stream: string;
  records: number;
  /** For a child stream: partitions finished and partitions seen so far. */
  partitionsDone?: number;
  partitionsSeen?: number;
  done?: boolean;
}

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
    if (s.requires && config[s.requires] === undefined) {
      throw new ConfigError(
        `${s.name} is selected but ${s.requires} is not set: set ${s.requires} (e.g. 2026-01-01) or deselect ${s.name}`,
      );
    }
  }
  return streams;
}

export async function runSync(o: SyncOptions): Promise<SyncSummary> {
  const started = Date.now();
  const now = o.now ?? Date.now;
  const { config, log, sink } = o;
  const streams = checkSelection(o.selected, config);
  const key: HistoryKey | undefined = config.private_key_jwk
    ? await loadHistoryKey(config.private_key_jwk)
    : undefined;

  // Aborted by the caller's signal (SIGINT/SIGTERM) or by the first failing stream.
  const run = new AbortController();
  const onAbort = (): void => run.abort(o.signal!.reason);
  if (o.signal?.aborted) onAbort();
  o.signal?.addEventListener('abort', onAbort, { once: true });
  const limiter = new RateLimiter({ requestsPerMinute: config.requests_per_minute, burst: o.burst ?? 5 });
  const client = new ApiClient({
    baseUrl: config.api_url,
    token: config.access_token,
    limiter,
    log,
    timeoutMs: config.request_timeout_seconds * 1000,
    maxRetryMs: config.max_retry_seconds * 1000,
    backoffMs: config.retry_backoff_seconds * 1000,
    signal: run.signal,
    forbiddenHint: (path) =>
      path === '/v2/messages/history'
        ? 'messages history needs the Advanced plan (and API access); deselect messages_history on other plans'
        : undefined,
  });

  const state: TapState = { bookmarks: { ...(o.state?.bookmarks ?? {}) } };
  const runVersion = now();
  const counts: Record<string, number> = {};
  const decrypt = (jwe: string) => decryptHistory(jwe, key);
  const writeState = () => sink.write({ type: 'STATE', value: structuredClone(state) });
  const timeExtracted = new Date(now()).toISOString();

  const begin = async (stream: StreamDefinition, emit: boolean): Promise<number> => {
    const bookmark: StreamBookmark = state.bookmarks[stream.name] ?? { version: runVersion };
    state.bookmarks[stream.name] = bookmark;
    counts[stream.name] ??= 0;
    if (emit)
      await sink.write({
        type: 'SCHEMA',
        stream: stream.name,
        schema: stream.schema,
        key_properties: stream.keys,
      });
    return bookmark.version;
  };
  const emitRecords = async (stream: StreamDefinition, version: number, page: PageResult): Promise<void> => {
    for (const record of page.records) {
      // Wait only when the sink asks to (back-pressure); most writes just append to a buffer.
      const wrote = sink.write({
        type: 'RECORD',
        stream: stream.name,
        record,
        version,
        time_extracted: timeExtracted,
      });
      if (wrote) await wrote;
    }
    counts[stream.name] = (counts[stream.name] ?? 0) + page.records.length;
  };
  const finish = async (stream: StreamDefinition, version: number): Promise<void> => {
    await sink.write({ type: 'ACTIVATE_VERSION', stream: stream.name, version });
    state.bookmarks[stream.name] = { version, done: true };
    state.currently_syncing = null;
    await writeState();
    o.onProgress?.({ stream: stream.name, records: counts[stream.name] ?? 0, done: true });
    log.info(`${stream.name}: ${counts[stream.name] ?? 0} records`);
  };
  const pagesOf = (stream: StreamDefinition, extra: Record<string, string> = {}, lookahead = 4) =>
    readPages({
      client,
      path: stream.path,
      paging: stream.paging,
      query: { ...(stream.query?.(config) ?? {}), ...extra },
      extract: (body, page) => stream.records(body, { page, partition: extra, decrypt }),
      lookahead,
      ...(config.start_date ? { startDay: config.start_date } : {}),
      endDay: config.end_date,
      maxPages: config.max_history_pages,
    });
  const isDone = (s: StreamDefinition) => state.bookmarks[s.name]?.done === true;

  try {
    const children = streams.filter((s) => s.parent);
    const parents = new Set(children.map((c) => c.parent!.stream));
    const syncIndependent = async (stream: StreamDefinition): Promise<void> => {
      if (isDone(stream)) {
        log.info(`${stream.name}: already synced in the interrupted run; skipping`);
        return;
      }
      const version = await begin(stream, true);
      for await (const page of pagesOf(stream)) {
        await emitRecords(stream, version, page);
        o.onProgress?.({ stream: stream.name, records: counts[stream.name] ?? 0 });
      }
      await finish(stream, version);
    };
    const syncParent = async (parentName: string): Promise<void> => {
      const parent = streamByName(parentName)!;
      const emitParent = streams.includes(parent) && !isDone(parent);
      const kids = children.filter((c) => c.parent!.stream === parentName && !isDone(c));
      // Children finished in the interrupted run: the parent, if still due, is an ordinary stream.
      if (kids.length === 0) return emitParent ? syncIndependent(parent) : undefined;
      for (const child of kids) await syncFamily(parent, emitParent && child === kids[0], child);
    };
    // Every stream at once: the limiter, not the order, decides the pace, and a latency-bound run is not
    // held up by a string of one-request streams. The first failure stops the others.
    const tasks = [
      ...streams.filter((s) => !s.parent && !parents.has(s.name)).map(syncIndependent),
      ...[...parents].map(syncParent),
    ].map((task) => task.catch((error: unknown) => (run.abort(error), Promise.reject(error))));
    const settled = await Promise.allSettled(tasks);
    const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw run.signal.reason ?? failed.reason;
    state.bookmarks = {};
    state.currently_syncing = null;
    await writeState();
    await sink.flush();
  } catch (error) {
    // Whatever finished stays finished: the last STATE lets the next run resume.
    await writeState();
    await sink.flush();
    throw error;
  } finally {
    o.signal?.removeEventListener('abort', onAbort);
  }

  return {
    records: counts,
    requests: client.requests,
    retries: client.retries,
    throttles: limiter.throttles,
    seconds: (Date.now() - started) / 1000,
  };

  /** A parent stream (emitted or only read for its keys) and one child's partitions, concurrently. */
  async function syncFamily(
    parent: StreamDefinition,
    emitParent: boolean,
    child: StreamDefinition,
  ): Promise<void> {
    const parentVersion = emitParent ? await begin(parent, true) : 0;
    const previous = state.bookmarks[child.name];
    const childVersion = await begin(child, true);
    state.currently_syncing = child.name;
    const resumeFrom = previous?.next_position ?? 0;
    const tracker = new PartitionTracker(
      resumeFrom,
      previous?.done_positions ?? [],
      previous?.anchor_id ?? null,
    );
    if (resumeFrom > 0) log.info(`${child.name}: resuming after ${resumeFrom} ${parent.name} already done`);
    let seen = 0;
    let lastState = Date.now();
    const link = child.parent!;
    const reportChild = (): void =>
      o.onProgress?.({
        stream: child.name,
        records: counts[child.name] ?? 0,
        partitionsDone: tracker.watermark,
        partitionsSeen: seen,
      });
    const concurrency = Math.max(1, Math.floor(config.partition_concurrency));

    const runPass = async (wanted: (position: number) => boolean, emit: boolean): Promise<boolean> => {
      const queue = new AsyncQueue<{ position: number; id: string }>(concurrency * 2);
      let failure: unknown;
      let anchorOk = resumeFrom === 0 || !previous?.anchor_id;
      const fail = (error: unknown): void => {
        failure ??= error;
        queue.abort();
      };
      const producer = (async () => {
        let position = 0;
        for await (const page of pagesOf(parent, {}, Math.min(8, 2 * concurrency))) {
          if (failure) return;
          if (emit) {
            await emitRecords(parent, parentVersion, page);
            o.onProgress?.({ stream: parent.name, records: counts[parent.name] ?? 0 });
          }
          for (const record of page.records) {
            const id = link.key(record);
            if (position === resumeFrom - 1 && id === previous?.anchor_id) anchorOk = true;
            if (wanted(position)) {
              seen += 1;
              if (!id) {
                log.warn(`${parent.name} record at position ${position} has no key; no ${child.name} for it`);
                tracker.complete(position, null);
              } else if (!(await queue.push({ position, id }))) return;
            }
            position += 1;
          }
          reportChild();
        }
        queue.close();
      })().catch(fail);

      const worker = async (): Promise<void> => {
        for await (const { position, id } of queue) {
          for await (const page of pagesOf(child, { [link.param]: id }, 1)) {
            if (failure) return;
            await emitRecords(child, childVersion, page);
          }
          tracker.complete(position, id);
          reportChild();
          if (Date.now() - lastState >= config.state_interval_seconds * 1000) {
            lastState = Date.now();
            state.bookmarks[child.name] = tracker.bookmark(childVersion);
            await writeState();
          }
        }
      };
      await Promise.all([producer, ...Array.from({ length: concurrency }, () => worker().catch(fail))]);
      if (failure) {
        state.bookmarks[child.name] = tracker.bookmark(childVersion);
        throw failure;
      }
      return anchorOk;
    };

    const anchorOk = await runPass((position) => !tracker.isDone(position), emitParent);
    if (emitParent) await finish(parent, parentVersion);
    if (!anchorOk) {
      // The parent's order changed since the interrupted run: positions below the watermark may now be
      // other contacts. Read those again (duplicates are replaced by key at the target; nothing is lost).
      log.warn(
        `${parent.name} order changed since the interrupted run; re-reading ${child.name} for the first ${resumeFrom}`,
      );
      await runPass((position) => position < resumeFrom, false);
    }
    await finish(child, childVersion);
  }
}
