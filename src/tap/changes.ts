/**
 * The partitions an incremental run reads (a child's `changes`), from its read plan:
 * - records touched since the window's start whose news the last run cannot have read: touched after its end
 *   (less CLOCK_SKEW_MS), or still open and opened after it;
 * - records that settled (closed) before the last run's end: read again only when the last run did not see
 *   them as they are now. After a full pass, none (it read every partition after they settled); after an
 *   incremental run, those in a bucket of its closed fingerprint that moved (a record that showed up late in
 *   the listing, or whose counters changed);
 * - records still open whose fingerprint bucket moved since the last run.
 * Each partition once. Fingerprints keep a fixed number of buckets, so STATE stays the same size however many
 * contacts and attendances there are: a moved bucket re-reads the few partitions in it, an unmoved one none.
 */
import { createHash } from 'node:crypto';
import type { PageResult } from '../http/paging.js';
import type { ClosedFingerprint, Replication } from '../singer/state.js';
import { dayOf, dayStart } from '../dates.js';
import type { ChangedPartitions, Record_ } from '../streams/define.js';
import type { ReadPlan } from './read-plan.js';
import type { StreamReader } from './reader.js';

export const FINGERPRINT_BUCKETS = 128;

const bucketOf = (id: string): number =>
  createHash('sha256').update(id).digest().readUInt32BE(0) % FINGERPRINT_BUCKETS;

/** Sums of record fingerprints by bucket (mod 2^48: stays an exact JSON number). */
export class Buckets {
  readonly sums = new Array<number>(FINGERPRINT_BUCKETS).fill(0);
  add(bucket: number, value: number): void {
    this.sums[bucket] = (this.sums[bucket]! + value) % 2 ** 48;
  }
}

export interface Candidate {
  record: Record_;
  bucket: number;
}

export class ChangedPartitionPages {
  /** Partitions found, by why; `fingerprints` once the pages have been read to the end. */
  readonly found = {
    touched: 0,
    settledMoved: 0,
    settledUnchanged: 0,
    open: 0,
    openUnchanged: 0,
    fingerprints: undefined as Replication | undefined,
  };
  private readonly since: number;
  private readonly previous: Replication | undefined;
  private readonly windows: NonNullable<ReadPlan['changes']>;

  constructor(
    private readonly reader: StreamReader,
    private readonly changes: ChangedPartitions,
    private readonly plan: ReadPlan,
  ) {
    this.since = plan.since!;
    this.previous = plan.previous;
    this.windows = plan.changes!;
  }

  /** Pages of records, one per partition to read (the records keep their listing's shape: `changes.key` reads them). */
  async *pages(): AsyncGenerator<PageResult> {
    // Memory: the keys of the partitions found (those with news, not every contact) and the records held
    // until their bucket is known (settled late in the window, or open).
    const seen = new Set<string>();
    const first = (record: Record_): boolean => {
      const key = this.changes.key(record);
      if (key === undefined || seen.has(key)) return false;
      seen.add(key);
      return true;
    };
    const c = this.changes;
    const { lastCut: cut, lastWasFull: previousFull, next } = this.windows;
    const previousClosed = this.previous?.closed_fingerprint;
    const closedRange = previousClosed && {
      from: Date.parse(previousClosed.from),
      to: Date.parse(previousClosed.to),
    };
    // What the next run will check: records settled in [its window's start, its cut) that this run saw.
    const nextListedFrom = dayStart(dayOf(next.from));
    const nextBuckets = new Buckets();
    const nowBuckets = new Buckets();
    const settled: Candidate[] = [];

    for await (const page of this.reader.pages(c.recent, { lookahead: 2, days: this.plan.days })) {
      const records: Record_[] = [];
      for (const record of page.records) {
        if (!c.touchedSince(record, this.since)) continue;
        const { id, value } = c.fingerprint(record);
        const bucket = bucketOf(id);
        const settledAt = c.settledAt(record);
        const opened = c.openedAt(record);
        if (
          settledAt !== undefined &&
          settledAt >= next.from &&
          settledAt < next.to &&
          (opened ?? 0) >= nextListedFrom
        )
          nextBuckets.add(bucket, value);
        if (cut === undefined) {
          records.push(record);
          continue;
        }
        if (settledAt === undefined) {
          // Still open: news after the last run show in the open listing's fingerprint, if there is one.
          if (!c.open || (opened ?? Infinity) >= cut) records.push(record);
          continue;
        }
        if (settledAt >= cut) {
          records.push(record);
          continue;
        }
        if (previousFull) {
          this.found.settledUnchanged += 1;
          continue;
        }
        if (closedRange && settledAt >= closedRange.from && settledAt < closedRange.to) {
          nowBuckets.add(bucket, value);
          settled.push({ record, bucket });
        } else records.push(record); // the last run kept no fingerprint of it: read it again
      }
      const fresh = records.filter(first);
      this.found.touched += fresh.length;
      yield { records: fresh, count: fresh.length };
    }
    if (settled.length) {
      const moved = settled.filter(
        ({ bucket }) => previousClosed!.buckets[bucket] !== nowBuckets.sums[bucket],
      );
      const records = moved.map(({ record }) => record).filter(first);
      this.found.settledMoved = records.length;
      this.found.settledUnchanged += settled.length - moved.length;
      yield { records, count: records.length };
    }
    const closed: ClosedFingerprint = {
      from: new Date(next.from).toISOString(),
      to: new Date(next.to).toISOString(),
      buckets: nextBuckets.sums,
    };
    this.found.fingerprints = { closed_fingerprint: closed };
    if (!c.open) return;
    const { buckets, candidates } = await readOpen(this.reader, c, this.plan);
    const previousOpen = this.previous?.open_fingerprint;
    const previous = previousOpen?.length === FINGERPRINT_BUCKETS ? previousOpen : undefined;
    const records = candidates
      .filter(({ bucket }) => !previous || previous[bucket] !== buckets.sums[bucket])
      .map(({ record }) => record)
      .filter(first);
    this.found.open = records.length;
    this.found.openUnchanged = candidates.length - records.length;
    this.found.fingerprints = { closed_fingerprint: closed, open_fingerprint: buckets.sums };
    yield { records, count: records.length };
  }
}

/**
 * The records still open and their fingerprint. A full pass takes it before reading the partitions (it reads
 * each of them after that moment), so the next incremental run re-reads only the open records that moved.
 */
export async function readOpen(
  reader: StreamReader,
  c: ChangedPartitions,
  plan: ReadPlan,
): Promise<{ buckets: Buckets; candidates: Candidate[] }> {
  const buckets = new Buckets();
  const candidates: Candidate[] = [];
  if (!c.open) return { buckets, candidates };
  for await (const page of reader.pages(c.open, { lookahead: 2, days: plan.days })) {
    for (const record of page.records) {
      const { id, value } = c.fingerprint(record);
      const bucket = bucketOf(id);
      buckets.add(bucket, value);
      candidates.push({ record, bucket });
    }
  }
  return { buckets, candidates };
}
