/**
 * The streams written from one read, as its read plan says: the read stream itself when it is selected and
 * due, and every due stream derived from it. One request feeds them all; each keeps its own table version,
 * progress and counts.
 */
import type { PageResult } from '../http/paging.js';
import type { PartitionProgress, Replication } from '../singer/state.js';
import { isDerived, type DeriveScope, type ReadStream } from '../streams/define.js';
import type { ReadPlan, StreamPlan } from './read-plan.js';
import type { Progress, SyncSession } from './session.js';

export class StreamOutputs<R extends ReadStream = ReadStream> {
  readonly read: R;
  /** What is still due: streams whole in an interrupted run are left out. */
  readonly streams: readonly StreamPlan[];
  private readonly versions = new Map<string, number | undefined>();

  constructor(
    private readonly session: SyncSession,
    readonly plan: ReadPlan & { read: R },
    /** false: the read is made again only for its keys (another child's partitions). */
    write = true,
  ) {
    this.read = plan.read;
    this.streams = write ? plan.writes : [];
  }

  /** Nothing to write: the read is needed (if at all) only for its keys. */
  get empty(): boolean {
    return this.streams.length === 0;
  }

  get incremental(): boolean {
    return this.plan.mode === 'incremental';
  }

  /** Where an interrupted run left these streams (they move together). */
  resume(): Partial<PartitionProgress> | undefined {
    const first = this.streams[0];
    return first?.resume ? this.session.bookmark(first.stream) : undefined;
  }

  async begin(): Promise<void> {
    for (const plan of this.streams) this.versions.set(plan.stream.name, await this.session.begin(plan));
  }

  /** One page of the read stream: its records, and what each derived stream makes of them. */
  async emit(page: PageResult, scope: DeriveScope): Promise<void> {
    for (const { stream } of this.streams) {
      if (!isDerived(stream)) {
        await this.session.emit(stream, this.versions.get(stream.name), page);
        continue;
      }
      const records = [];
      for (const record of page.records) {
        const derived = stream.derive(record, scope);
        records.push(...derived.records);
        if (derived.unreadable !== undefined) this.session.unreadable(stream, derived.unreadable);
      }
      const invalidUtf8 = page.invalidUtf8 !== undefined ? { invalidUtf8: page.invalidUtf8 } : {};
      await this.session.emit(stream, this.versions.get(stream.name), { records, ...invalidUtf8 });
    }
  }

  progress(known?: Progress): void {
    for (const { stream } of this.streams) this.session.progress(stream, known);
  }

  /** Records how far the partitions got, for every stream written from them. */
  save(progress: PartitionProgress): void {
    for (const { stream } of this.streams) this.session.save(stream, progress);
  }

  /** Every stream is whole; `found` is what the read learnt for the next incremental run. */
  async finish(found: Replication = {}): Promise<void> {
    for (const plan of this.streams)
      await this.session.finish(plan, this.versions.get(plan.stream.name), found);
  }
}
