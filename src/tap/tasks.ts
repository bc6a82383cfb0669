/**
 * The two ways a sync reads: a stream alone (a listing, or an incremental root stream's window and what it
 * re-reads), and a family: a parent's pages with one child's partitions fanned out while they arrive, or an
 * incremental child's partitions found by its `changes`.
 */
import type { TapConfig } from '../config.js';
import { isChild, type ChildStream, type DeriveScope } from '../streams/define.js';
import { ChangedPartitionPages, readOpen } from './changes.js';
import { fanOut, FanOutError } from './fanout.js';
import type { StreamOutputs } from './outputs.js';
import type { StreamReader } from './reader.js';
import type { SyncSession } from './session.js';

export async function syncStream(outputs: StreamOutputs, reader: StreamReader): Promise<void> {
  if (outputs.empty) return;
  await outputs.begin();
  const scope: DeriveScope = new Map();
  let total: number | undefined;
  const days = outputs.plan.days;
  for await (const page of reader.pages(outputs.read, { days })) {
    total ??= page.total;
    await outputs.emit(page, scope);
    outputs.progress({ total });
  }
  const read = outputs.read;
  if (outputs.incremental && !isChild(read))
    for (const also of read.alsoWhenIncremental?.() ?? [])
      for await (const page of reader.pages(also, { days })) {
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
  const changed = changes && new ChangedPartitionPages(reader, changes, child.plan);
  // A full pass for an incremental stream takes the open records' fingerprint before reading any partition
  // (not on a resume: partitions read before it would be taken as current).
  const openBefore =
    !changes && !resume && child.read.changes?.open && child.streams.some((p) => p.method === 'INCREMENTAL')
      ? await readOpen(reader, child.read.changes, child.plan)
      : undefined;
  const days = child.plan.days;
  const parentScope: DeriveScope = new Map();
  let parentTotal: number | undefined;
  let lastState = 0;
  let written = '';
  try {
    await fanOut({
      parentName: changes ? changes.recent.name : link.stream,
      childName: child.read.name,
      parentPages: () =>
        changed
          ? changed.pages()
          : reader.pages(parent!.read, { lookahead: Math.min(8, 2 * concurrency), days: parent!.plan.days }),
      keyOf: changes ? changes.key : link.key,
      readPartition: async (id, stopped) => {
        const scope: DeriveScope = new Map();
        const partition = { [link.param]: id };
        for await (const page of reader.pages(child.read, { partition, lookahead: 1, days })) {
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
      `${child.read.name}: read ${touched} partition(s) touched since ${new Date(child.plan.since!).toISOString()} and ${open} still open with news (${openUnchanged} open without)`,
    );
  }
  await child.finish(
    changed?.found.fingerprints ?? (openBefore ? { open_fingerprint: openBefore.buckets.sums } : {}),
  );
}
