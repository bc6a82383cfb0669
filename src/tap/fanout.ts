/**
 * Parent/child fan-out: the partitions of a child stream (history per contact) read concurrently while the
 * parent's pages are still arriving, with progress kept as a watermark in the parent's order so that an
 * interrupted run resumes where it stopped. Knows nothing of HTTP or Singer: it is given the parent's pages,
 * a way to read one partition, and callbacks, so it can be tested alone.
 */
import type { PageResult } from '../http/paging.js';
import type { Logger } from '../log.js';
import { PartitionTracker, type PartitionProgress } from '../singer/state.js';
import { AsyncQueue } from './queue.js';

export interface FanOutOptions {
  /** Names for log lines: the parent's and the child's stream. */
  parentName: string;
  childName: string;
  /** The parent's pages, in order (read once per pass). */
  parentPages(): AsyncIterable<PageResult>;
  /** The partition a parent record names, or undefined when it has no key. */
  keyOf(record: Record<string, unknown>): string | undefined;
  /** Reads (and emits) every page of one partition; `stopped` turns true once the fan-out has failed. */
  readPartition(id: string, stopped: () => boolean): Promise<void>;
  /** The parent's pages as the first pass reads them (to emit the parent's records too). */
  onParentPage?: (page: PageResult) => Promise<void>;
  /** The first pass is over: the parent has been read whole. */
  afterFirstPass?: () => Promise<void>;
  /**
   * After every partition and parent page: where the child stands (to write STATE), how many partitions were
   * seen, and how many there are in all when the parent says.
   */
  onProgress?: (progress: PartitionProgress, seen: number, total: number | undefined) => Promise<void> | void;
  /** Progress of an interrupted run, to resume. */
  resume?: Partial<PartitionProgress> | undefined;
  concurrency: number;
  log: Logger;
}

export class FanOutError extends Error {
  constructor(
    override readonly cause: unknown,
    readonly progress: PartitionProgress,
  ) {
    super('fan-out failed');
  }
}

/**
 * Reads every partition once. Throws a FanOutError carrying how far it got (so the caller can save it) when
 * the parent, a partition or a callback fails.
 */
export async function fanOut(o: FanOutOptions): Promise<void> {
  const resumeFrom = o.resume?.next_position ?? 0;
  const anchor = o.resume?.anchor_id ?? null;
  const tracker = new PartitionTracker(resumeFrom, o.resume?.done_positions ?? [], anchor);
  if (resumeFrom > 0) o.log.info(`${o.childName}: resuming after ${resumeFrom} ${o.parentName} already done`);
  const concurrency = Math.max(1, Math.floor(o.concurrency));
  let seen = 0;
  let total: number | undefined;

  const runPass = async (wanted: (position: number) => boolean, first: boolean): Promise<boolean> => {
    const queue = new AsyncQueue<{ position: number; id: string }>(concurrency * 2);
    let failure: unknown;
    let anchorOk = resumeFrom === 0 || !anchor;
    const fail = (error: unknown): void => {
      failure ??= error;
      queue.abort();
    };
    const report = async (): Promise<void> => {
      await o.onProgress?.(tracker.progress(), seen, total);
    };
    const producer = (async () => {
      let position = 0;
      for await (const page of o.parentPages()) {
        if (failure) return;
        total ??= page.total;
        if (first) await o.onParentPage?.(page);
        for (const record of page.records) {
          const id = o.keyOf(record);
          if (position === resumeFrom - 1 && id === anchor) anchorOk = true;
          if (wanted(position)) {
            seen += 1;
            if (!id) {
              o.log.warn(
                `${o.parentName} record at position ${position} has no key; no ${o.childName} for it`,
              );
              tracker.complete(position, null);
            } else if (!(await queue.push({ position, id }))) return;
          }
          position += 1;
        }
        await report();
      }
      queue.close();
    })().catch(fail);

    const worker = async (): Promise<void> => {
      for await (const { position, id } of queue) {
        await o.readPartition(id, () => failure !== undefined);
        if (failure) return;
        tracker.complete(position, id);
        await report();
      }
    };
    await Promise.all([producer, ...Array.from({ length: concurrency }, () => worker().catch(fail))]);
    if (failure) throw new FanOutError(failure, tracker.progress());
    return anchorOk;
  };

  const anchorOk = await runPass((position) => !tracker.isDone(position), true);
  await o.afterFirstPass?.();
  if (!anchorOk) {
    // The parent's order changed since the interrupted run: positions below the watermark may now be
    // other records. Read those again (duplicates are replaced by key at the target; nothing is lost).
    o.log.warn(
      `${o.parentName} order changed since the interrupted run; re-reading ${o.childName} for the first ${resumeFrom}`,
    );
    await runPass((position) => position < resumeFrom, false);
  }
}
