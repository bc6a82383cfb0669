/**
 * The Singer side of one sync: a stream's SCHEMA, its RECORDs under one table version, its ACTIVATE_VERSION,
 * and the STATE that lets an interrupted run resume. Knows no endpoint and no stream by name.
 */
import type { PageResult } from '../http/paging.js';
import type { Logger } from '../log.js';
import type { RecordMessage, SingerSink } from '../singer/messages.js';
import { replaceNul } from '../singer/nul.js';
import { project, type StreamSelection } from '../singer/selection.js';
import { completed, lasting, type Replication, type StreamBookmark, type TapState } from '../singer/state.js';
import type { StreamDefinition } from '../streams/define.js';
import type { StreamPlan } from './read-plan.js';

export interface ProgressEvent {
  stream: string;
  records: number;
  /** Records the stream will hold, when the API says. */
  total?: number;
  /** For a child stream: partitions finished, seen so far, and in all (when the parent's total is known). */
  partitionsDone?: number;
  partitionsSeen?: number;
  partitionsTotal?: number;
  done?: boolean;
}

/** What is known of a stream's progress besides its record count. */
export interface Progress {
  total?: number | undefined;
  partitions?: { done: number; seen: number; total?: number | undefined };
}

export interface SessionOptions {
  sink: SingerSink;
  log: Logger;
  /** STATE of an interrupted run, to resume. */
  state?: TapState | undefined;
  now: () => number;
  onProgress?: ((event: ProgressEvent) => void) | undefined;
  /** Field selection and schemas from an input catalog, per stream. */
  selections?: ReadonlyMap<string, StreamSelection> | undefined;
  /** Keep U+0000 in JSON text fields (the `keep_nul` setting). */
  keepNul?: boolean | undefined;
}

/** How a stream's records are shaped on their way out. */
interface Shape {
  removed: string[][];
  /** Key fields typed as strings: an integer id from the API becomes its decimal string. */
  stringKeys: string[];
  /** Key values seen so far, for a stream keyed by a name (to report duplicates); undefined otherwise. */
  seen?: Set<string>;
  keys: string[];
  duplicates: number;
  /** Fields holding JSON text whose U+0000 escapes become U+FFFD (singer/nul.ts); none with keep_nul. */
  jsonText: readonly string[];
}

export class SyncSession {
  readonly state: TapState;
  readonly counts: Record<string, number> = {};
  /** Per stream: base records that yielded nothing they should have, by reason (e.g. undecryptable pages). */
  readonly unreadableCounts: Record<string, Record<string, number>> = {};
  /** Per stream: invalid UTF-8 sequences in the answers its records came from, and records refused for one. */
  readonly invalidUtf8: Record<string, { sequences: number; refused: number }> = {};
  readonly log: Logger;
  private readonly shapes = new Map<string, Shape>();
  private readonly runVersion: number;
  private readonly timeExtracted: string;

  constructor(private readonly o: SessionOptions) {
    this.log = o.log;
    this.state = { bookmarks: { ...(o.state?.bookmarks ?? {}) } };
    this.runVersion = o.now();
    this.timeExtracted = new Date(this.runVersion).toISOString();
  }

  /** The bookmark an interrupted run left for a stream, if any. */
  bookmark(stream: StreamDefinition): StreamBookmark | undefined {
    return this.state.bookmarks[stream.name];
  }

  /**
   * Starts (or resumes) a stream as its plan says: its SCHEMA, and the table version its records go to;
   * undefined for an incremental run, whose records carry no version (a target merges them by key).
   */
  async begin(plan: StreamPlan): Promise<number | undefined> {
    const { stream } = plan;
    const previous = this.state.bookmarks[stream.name];
    const bookmark: StreamBookmark = plan.resume
      ? previous!
      : { ...lasting(previous), version: this.runVersion, ...(plan.window ? { run: plan.window } : {}) };
    this.state.bookmarks[stream.name] = bookmark;
    await this.announce(plan);
    return plan.mode === 'incremental' ? undefined : bookmark.version;
  }

  /**
   * A stream's SCHEMA: for one begun now, and for one whole in the interrupted run, so that a target knows
   * the stream whose rows it keeps for the switch at the end of this sync.
   */
  async announce(plan: StreamPlan): Promise<void> {
    const { stream } = plan;
    this.counts[stream.name] ??= 0;
    const selection = this.o.selections?.get(stream.name);
    const schema = selection?.schema ?? stream.schema;
    this.shapes.set(stream.name, {
      removed: selection?.removed ?? [],
      stringKeys: stream.keys.filter((k) => schema.properties?.[k]?.type === 'string'),
      ...(stream.keyIsName ? { seen: new Set<string>() } : {}),
      keys: stream.keys,
      duplicates: 0,
      jsonText: this.o.keepNul ? [] : (stream.jsonText ?? []),
    });
    await this.o.sink.write({
      type: 'SCHEMA',
      stream: stream.name,
      schema,
      key_properties: stream.keys,
      ...(plan.window && stream.incremental
        ? { bookmark_properties: [stream.incremental.replicationKey] }
        : {}),
    });
  }

  async emit(stream: StreamDefinition, version: number | undefined, page: PageResult): Promise<void> {
    const { sink } = this.o;
    const shape = this.shapes.get(stream.name);
    const invalid = page.invalidUtf8
      ? (this.invalidUtf8[stream.name] ??= { sequences: 0, refused: 0 })
      : undefined;
    if (invalid) invalid.sequences += page.invalidUtf8!;
    let written = 0;
    for (const raw of page.records) {
      // A key with a U+FFFD that stands for invalid bytes could equal another key: never two records made one.
      if (invalid && stream.keys.some((k) => typeof raw[k] === 'string' && raw[k].includes('\uFFFD'))) {
        invalid.refused += 1;
        continue;
      }
      written += 1;
      const record = shape ? this.shape(raw, shape) : raw;
      // Wait only when the sink asks to (back-pressure); most writes just append to a buffer.
      const message: RecordMessage = { type: 'RECORD', stream: stream.name, record };
      if (version !== undefined) message.version = version;
      message.time_extracted = this.timeExtracted;
      const wrote = sink.write(message);
      if (wrote) await wrote;
    }
    this.counts[stream.name] = (this.counts[stream.name] ?? 0) + written;
  }

  private shape(raw: Record<string, unknown>, shape: Shape): Record<string, unknown> {
    let record = project(raw, shape.removed);
    for (const field of shape.jsonText) {
      const value = record[field];
      // A copy: the records derived from this one read the text as it came.
      if (typeof value === 'string' && value.includes('\\u0000'))
        record = { ...record, [field]: replaceNul(value) };
    }
    for (const key of shape.stringKeys) {
      const value = record[key];
      if (typeof value === 'number' || typeof value === 'bigint') record[key] = String(value);
    }
    if (shape.seen) {
      const key = JSON.stringify(shape.keys.map((k) => record[k]));
      if (shape.seen.has(key)) shape.duplicates += 1;
      else shape.seen.add(key);
    }
    return record;
  }

  unreadable(stream: StreamDefinition, reason: string): void {
    const byReason = (this.unreadableCounts[stream.name] ??= {});
    byReason[reason] = (byReason[reason] ?? 0) + 1;
  }

  progress(stream: StreamDefinition, known: Progress = {}): void {
    const { total, partitions } = known;
    this.o.onProgress?.({
      stream: stream.name,
      records: this.counts[stream.name] ?? 0,
      ...(total !== undefined ? { total } : {}),
      ...(partitions
        ? {
            partitionsDone: partitions.done,
            partitionsSeen: partitions.seen,
            ...(partitions.total !== undefined ? { partitionsTotal: partitions.total } : {}),
          }
        : {}),
    });
  }

  /**
   * A stream is whole: its version becomes the table (an incremental run's records are merged into it), and
   * STATE says so. Its bookmark waits, as `next`, for the whole sync: it moves when the tables are switched.
   */
  async finish(plan: StreamPlan, version: number | undefined, found: Replication = {}): Promise<void> {
    const { stream } = plan;
    if (version !== undefined)
      await this.o.sink.write({ type: 'ACTIVATE_VERSION', stream: stream.name, version });
    const previous = this.state.bookmarks[stream.name];
    this.state.bookmarks[stream.name] = {
      ...lasting(previous),
      ...(previous?.run ? { run: previous.run } : {}),
      ...(plan.bookmark ? { next: { ...plan.bookmark, ...found } } : {}),
      version: previous?.version ?? this.runVersion,
      done: true,
    };
    this.state.currently_syncing = null;
    await this.writeState();
    const records = this.counts[stream.name] ?? 0;
    this.o.onProgress?.({ stream: stream.name, records, done: true });
    this.o.log.info(`${stream.name}: ${records} records`);
    const duplicates = this.shapes.get(stream.name)?.duplicates ?? 0;
    if (duplicates > 0)
      this.o.log.warn(
        `${stream.name}: ${duplicates} record(s) share their key (${stream.keys.join(', ')}, a display name) with another; a target that upserts by key keeps one of each`,
      );
    const invalid = this.invalidUtf8[stream.name];
    if (invalid)
      this.o.log.warn(
        `${stream.name}: the API's answers held ${invalid.sequences} invalid UTF-8 sequence(s), each written as U+FFFD` +
          (invalid.refused
            ? `; ${invalid.refused} record(s) left out because their key (${stream.keys.join(', ')}) held one (two such keys could become one)`
            : ''),
      );
    for (const [reason, n] of Object.entries(this.unreadableCounts[stream.name] ?? {}))
      this.o.log.warn(`${stream.name}: ${n} page(s) gave no records: ${reason}`);
  }

  /** Records a stream's progress (written with the next STATE). */
  save(stream: StreamDefinition, progress: StreamBookmark): void {
    this.state.bookmarks[stream.name] = { ...this.state.bookmarks[stream.name], ...progress };
    this.state.currently_syncing = stream.name;
  }

  async writeState(): Promise<void> {
    await this.o.sink.write({ type: 'STATE', value: structuredClone(this.state) });
  }

  /** Every stream is whole: nothing to resume; incremental streams keep where their window ended. */
  async complete(): Promise<void> {
    this.state.bookmarks = completed(this.state).bookmarks;
    this.state.currently_syncing = null;
    await this.writeState();
    await this.o.sink.flush();
  }

  /** Whatever finished stays finished: the last STATE lets the next run resume. */
  async interrupted(): Promise<void> {
    await this.writeState();
    await this.o.sink.flush();
  }
}
