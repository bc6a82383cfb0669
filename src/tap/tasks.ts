/**
 * The two ways a sync reads: a stream alone (a listing, or an incremental root stream's window and what it
 * re-reads), and a family: a parent's pages with one child's partitions fanned out while they arrive, or an
 * incremental child's partitions found by its `changes`.
 */
import type { TapConfig } from '../config.js';
import { isChild, type ChildStream, type DeriveScope } from '../streams/define.js';
import { ChangedPartitionPages } from './changes.js';
import { fanOut, FanOutError } from './fanout.js';
import type { StreamOutputs } from './outputs.js';
import type { StreamReader } from './reader.js';
import type { SyncSession } from './session.js';

export async function syncStream(outputs: StreamOutputs, reader: StreamReader): Promise<void> {
  if (outputs.empty) return;
  await outputs.begin();
  const scope: DeriveScope = new Map();
  let total: number | undefined;
  for await (const page of reader.pages(outputs.read, {}, 4, outputs.sinceDay)) {
    total ??= page.total;
    await outputs.emit(page, scope);
    outputs.progress({ total });
  }
  const read = outputs.read;
  if (outputs.incremental && !isChild(read))
    for (const also of read.alsoWhenIncremental?.() ?? [])
      for await (const page of reader.pages(also)) {
        await outputs.emit(page, scope);
        outputs.progress();
      }
  await outputs.finish();
}

/**
 * A parent (written or only read for its keys) and one child's partitions, concurrently; or, for an
 * incremental child (no parent), the partitions its `changes` find.
 */
export async function syncFamily(
  parent: StreamOutputs | undefined,
  child: StreamOutputs<ChildStream>,
  reader: StreamReader,
  session: SyncSession,
  config: TapConfig,
): Promise<void> {
  await parent?.begin();
  const resume = child.resume();
  await child.begin();
  const concurrency = Math.max(1, Math.floor(config.partition_concurrency));
  const link = child.read.parent;
  const changes = child.incremental ? child.read.changes : undefined;
  const changed =
    changes &&
    new ChangedPartitionPages(
      reader,
      changes,
      child.since,
      session.bookmark(child.streams[0]!)?.open_fingerprint,
    );
  const sinceDay = child.sinceDay;
  const parentScope: DeriveScope = new Map();
  let parentTotal: number | undefined;
  let lastState = 0;
  let written = '';
  try {
    await fanOut({
      parentName: changes ? changes.recent.name : link.stream,
      childName: child.read.name,
      parentPages: () =>
        changed ? changed.pages() : reader.pages(parent!.read, {}, Math.min(8, 2 * concurrency)),
      keyOf: changes ? changes.key : link.key,
      readPartition: async (id, stopped) => {
        const scope: DeriveScope = new Map();
        for await (const page of reader.pages(child.read, { [link.param]: id }, 1, sinceDay)) {
          if (stopped()) return;
          await child.emit(page, scope);
        }
      },
      ...(!parent || parent.empty
        ? {}
        : {
            onParentPage: async (page) => {
              parentTotal ??= page.total;
              await parent.emit(page, parentScope);
              parent.progress({ total: parentTotal });
            },
            afterFirstPass: () => parent.finish(),
          }),
      onProgress: async (progress, seen, total) => {
        child.progress({ partitions: { done: progress.next_position, seen, total } });
        child.save(progress);
        // A STATE as soon as a partition completes (at most every state_interval_seconds): a kill costs only
        // the partitions in flight.
        const now = JSON.stringify(progress);
        if (now !== written && Date.now() - lastState >= config.state_interval_seconds * 1000) {
          written = now;
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
    child.save(error.progress);
    throw error.cause;
  }
  if (changed) {
    const { touched, open, openUnchanged } = changed.found;
    session.log.info(
      `${child.read.name}: read ${touched} partition(s) touched since ${new Date(child.since).toISOString()} and ${open} still open with news (${openUnchanged} open without)`,
    );
  }
  await child.finish(changed?.fingerprint ? { open_fingerprint: changed.fingerprint } : {});
}
