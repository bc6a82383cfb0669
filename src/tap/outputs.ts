/**
 * The streams written from one read: the read stream itself when it is selected, and every selected stream
 * derived from it. One request feeds them all; each keeps its own table version, progress and counts.
 */
import type { PageResult } from '../http/paging.js';
import type { PartitionProgress, Replication, RunWindow } from '../singer/state.js';
import type { DeriveScope, DerivedStream, ReadStream, StreamDefinition } from '../streams/define.js';
import type { Progress, SyncSession } from './session.js';

export class StreamOutputs<R extends ReadStream = ReadStream> {
  /** What is still due: streams finished in an interrupted run are left out. */
  readonly streams: StreamDefinition[];
  private readonly emitRead: boolean;
  private readonly derived: DerivedStream[];
  private readonly versions = new Map<string, number | undefined>();
  /** Per stream synced INCREMENTAL: this run's window (set by `plan`). */
  windows = new Map<string, RunWindow>();
  /** Whether the read itself is incremental (from the window's start, and only what changed). */
  incremental = false;

  constructor(
    private readonly session: SyncSession,
    readonly read: R,
    emitRead: boolean,
    derived: readonly DerivedStream[],
  ) {
    this.emitRead = emitRead && !session.isDone(read);
    this.derived = derived.filter((d) => !session.isDone(d));
    this.streams = [...(this.emitRead ? [read] : []), ...this.derived];
  }

  /** Nothing to write: the read is needed (if at all) only for its keys. */
  get empty(): boolean {
    return this.streams.length === 0;
  }

  /** Where an interrupted run left these streams (they move together). */
  resume(): Partial<PartitionProgress> | undefined {
    return this.streams.length ? this.session.bookmark(this.streams[0]!) : undefined;
  }

  /** The day an incremental read starts (undefined: a full read). */
  get sinceDay(): string | undefined {
    if (!this.incremental) return undefined;
    const since = [...this.windows.values()].map((w) => w.since ?? '').sort()[0];
    return since ? since.slice(0, 10) : undefined;
  }

  /** The window's start, epoch ms (an incremental read). */
  get since(): number {
    return Math.min(...[...this.windows.values()].map((w) => Date.parse(w.since ?? '')));
  }

  async begin(): Promise<void> {
    for (const stream of this.streams)
      this.versions.set(stream.name, await this.session.begin(stream, this.windows.get(stream.name)));
  }

  /** One page of the read stream: its records, and what each derived stream makes of them. */
  async emit(page: PageResult, scope: DeriveScope): Promise<void> {
    if (this.emitRead) await this.session.emit(this.read, this.version(this.read), page);
    for (const stream of this.derived) {
      const records = [];
      for (const record of page.records) {
        const derived = stream.derive(record, scope);
        records.push(...derived.records);
        if (derived.unreadable !== undefined) this.session.unreadable(stream, derived.unreadable);
      }
      await this.session.emit(stream, this.version(stream), { records });
    }
  }

  progress(known?: Progress): void {
    for (const stream of this.streams) this.session.progress(stream, known);
  }

  /** Records how far the partitions got, for every stream written from them. */
  save(progress: PartitionProgress): void {
    for (const stream of this.streams) this.session.save(stream, progress);
  }

  /** Every stream is whole; `found` is what the read learnt for the next incremental run. */
  async finish(found: Replication = {}): Promise<void> {
    for (const stream of this.streams) await this.session.finish(stream, this.version(stream), found);
  }

  private version(stream: StreamDefinition): number | undefined {
    return this.versions.get(stream.name);
  }
}
