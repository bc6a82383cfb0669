/**
 * The partitions an incremental run reads (a child's `changes`): the parents named by records touched since
 * the window's start, then those named by records still open whose fingerprint moved since the last run. Each
 * partition once. STATE keeps the open records' fingerprint in a fixed number of buckets, so it stays the
 * same size however many contacts and open attendances there are: a moved bucket re-reads the few partitions
 * in it, an unmoved one none.
 */
import { createHash } from 'node:crypto';
import type { PageResult } from '../http/paging.js';
import type { ChangedPartitions, Record_ } from '../streams/define.js';
import type { StreamReader } from './reader.js';

export const FINGERPRINT_BUCKETS = 128;

const bucketOf = (id: string): number =>
  createHash('sha256').update(id).digest().readUInt32BE(0) % FINGERPRINT_BUCKETS;

export class ChangedPartitionPages {
  /** The open records' fingerprint, once the pages have been read to the end. */
  fingerprint: number[] | undefined;
  /** Partitions found: touched since the start, and open with a moved fingerprint. */
  readonly found = { touched: 0, open: 0, openUnchanged: 0 };

  constructor(
    private readonly reader: StreamReader,
    private readonly changes: ChangedPartitions,
    /** Epoch ms: the window's start. */
    private readonly since: number,
    /** The fingerprint the last run left (undefined: read every open record's partition). */
    private readonly previous: readonly number[] | undefined,
  ) {}

  /** Pages of records, one per partition to read (the records keep their listing's shape: `changes.key` reads them). */
  async *pages(): AsyncGenerator<PageResult> {
    // Memory: the keys of the partitions found (those with news, not every contact) and the open records.
    const seen = new Set<string>();
    const first = (record: Record_): boolean => {
      const key = this.changes.key(record);
      if (key === undefined || seen.has(key)) return false;
      seen.add(key);
      return true;
    };
    const sinceDay = new Date(this.since).toISOString().slice(0, 10);
    for await (const page of this.reader.pages(this.changes.recent, {}, 2, sinceDay)) {
      const records = page.records.filter((r) => this.changes.touchedSince(r, this.since) && first(r));
      this.found.touched += records.length;
      yield { records, count: records.length };
    }
    const open = this.changes.open;
    if (!open) return;
    const buckets = new Array<number>(FINGERPRINT_BUCKETS).fill(0);
    const candidates: { record: Record_; bucket: number }[] = [];
    for await (const page of this.reader.pages(open.stream, {}, 2)) {
      for (const record of page.records) {
        const { id, value } = open.fingerprint(record);
        const bucket = bucketOf(id);
        buckets[bucket] = (buckets[bucket]! + value) % 2 ** 48;
        candidates.push({ record, bucket });
      }
    }
    const previous = this.previous?.length === FINGERPRINT_BUCKETS ? this.previous : undefined;
    const records = candidates
      .filter(({ bucket }) => !previous || previous[bucket] !== buckets[bucket])
      .map(({ record }) => record)
      .filter(first);
    this.found.open = records.length;
    this.found.openUnchanged = candidates.length - records.length;
    this.fingerprint = buckets;
    yield { records, count: records.length };
  }
}
