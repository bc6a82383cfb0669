/**
 * The embedded Singer target: SCHEMA/RECORD/STATE/ACTIVATE_VERSION in, DuckDB versions out. Rows are
 * buffered (bounded by bytes), written as NDJSON and bulk-loaded by DuckDB; a STATE is saved in the same
 * transaction as the rows before it, so a resumed sync restarts exactly where the catalog stands.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UserError } from '../errors.js';
import type { Logger } from '../log.js';
import type { SingerMessage, SingerSink } from '../singer/messages.js';
import type { RawRecord } from '../singer/reader.js';
import { columnsOf, rowLine, type Column } from './columns.js';
import { rawLine } from './raw-rows.js';
import { Spool } from './spool.js';
import type { Batch, CatalogStore, ModelView, Pending, TableTarget } from './store.js';

export interface LoaderOptions {
  store: CatalogStore;
  /** Where a stream lands; undefined skips the stream. */
  resolve: (stream: string) => TableTarget | undefined;
  /** The name the tap's STATE is saved under (one per source). */
  source: string;
  retentionDays: number;
  log: Logger;
  /** Called after a STATE is committed (a Singer target echoes it on stdout). */
  onState?: (value: unknown) => void | Promise<void>;
  /** Saved with every STATE: what the sync is of, so that a resume can check it is the same sync. */
  settings?: unknown;
  /**
   * Commit a STATE at most this often; one that comes sooner waits for the next commit (rows are never
   * committed later than their STATE says), and is echoed then. 0 commits every STATE.
   */
  stateEveryMs?: number;
  maxBufferBytes?: number;
  /**
   * Whether a STATE says the whole sync is done. Such a STATE is saved in the transaction that switches the
   * tables (`finish`), never before: a kill in between resumes into the same switch instead of losing it.
   */
  completesSync?: (state: unknown) => boolean;
  /** The source's views of the service layer, made with the switch ([] drops them; absent leaves them be). */
  models?: ModelView[];
}

interface StreamInfo {
  target: TableTarget | undefined;
  keys: string[];
  columns: Column[];
}

/**
 * Rows of one stream version on their way to DuckDB: rows made here (`rows`), and RECORD lines as they came,
 * for DuckDB to parse (`raw`).
 */
interface Buffer_ {
  stream: string;
  version: number;
  pending: Pending;
  /**
   * The columns its pending table was made with: a SCHEMA that changes them mid-stream does not change the
   * table (a value that no longer fits its column goes to `_extra`, like any other).
   */
  columns: Column[];
  rows: Spool;
  raw: Spool;
}

const bufferKey = (stream: string, version: number): string => `${stream}\u0000${version}`;

export interface LoadedTable {
  stream: string;
  layer: string;
  folder: string;
  table: string;
  rows: number;
  version: number;
  seconds: number;
}

/**
 * Streams whose records carry no version (an incremental stream, other taps) are activated when the input
 * ends: merged by key into the current table (replacing it when the stream has no key).
 */
const UNVERSIONED = 0;

export class CatalogLoader implements SingerSink {
  private readonly streams = new Map<string, StreamInfo>();
  /** Which stream loads into each table (layer.name). */
  private readonly tables = new Map<string, string>();
  private readonly buffers = new Map<string, Buffer_>();
  private bufferedBytes = 0;
  private readonly dir = mkdtempSync(join(tmpdir(), 'conversas-load-'));
  private fileCounter = 0;
  private readonly started = new Map<string, number>();
  /** The latest STATE not committed yet (see `stateEveryMs`). */
  private heldState: { value: unknown } | undefined;
  /** The STATE that says the sync is done, saved with the switch. */
  private finalState: { value: unknown } | undefined;
  private lastStateAt = 0;
  readonly loaded: LoadedTable[] = [];

  constructor(private readonly o: LoaderOptions) {}

  private chain: Promise<void> = Promise.resolve();

  /** Messages are handled one at a time, in arrival order, even when several tap workers write at once. */
  write(message: SingerMessage): Promise<void> {
    return this.enqueue(() => this.handle(message));
  }

  private lastRaw: Buffer_ | undefined;

  /** Messages still waiting in the chain: while there are any, a raw line waits behind them. */
  private queued = 0;

  private enqueue(work: () => Promise<void>): Promise<void> {
    this.queued += 1;
    this.chain = this.chain.then(work).finally(() => (this.queued -= 1));
    return this.chain;
  }

  private async handle(message: SingerMessage): Promise<void> {
    switch (message.type) {
      case 'SCHEMA': {
        const target = this.o.resolve(message.stream);
        if (target) {
          // Names made valid can meet (`a-b`, `a_b` and `A_B` are all a_b): never two streams in one table.
          const table = `${target.layer}.${target.name}`;
          const other = this.tables.get(table);
          if (other !== undefined && other !== message.stream)
            throw new UserError(
              `streams "${other}" and "${message.stream}" would both load into ${table}: give one another table name (streams.<name>.table in a --source file)`,
            );
          this.tables.set(table, message.stream);
        }
        this.streams.set(message.stream, {
          target,
          keys: message.key_properties ?? [],
          columns: columnsOf(message.schema),
        });
        if (!this.started.has(message.stream)) this.started.set(message.stream, Date.now());
        return;
      }
      case 'RECORD': {
        const buffer = await this.recordBuffer(message.stream, message.version);
        if (!buffer) return;
        this.bufferedBytes += buffer.rows.add([
          rowLine(message.record, buffer.columns, buffer.pending.nextSequence++),
        ]);
        return this.maybeCommit();
      }
      case 'STATE':
        if (this.o.completesSync?.(message.value)) {
          this.finalState = { value: message.value };
          return;
        }
        this.heldState = { value: message.value };
        if (Date.now() - this.lastStateAt < (this.o.stateEveryMs ?? 0)) return;
        await this.commit();
        return;
      case 'ACTIVATE_VERSION':
        await this.commit();
        await this.markReady(message.stream, message.version);
        return;
    }
  }

  /**
   * A RECORD line left unparsed (see singer/reader.ts): written as it is, for DuckDB to parse. Synchronous
   * when nothing has to wait (the usual case), so a line costs no promise.
   */
  writeRaw(record: RawRecord): void | Promise<void> {
    const version = record.version ?? UNVERSIONED;
    // Lines come a stream at a time: the last line's buffer is usually this one's.
    const last = this.lastRaw;
    const buffer =
      last?.stream === record.stream && last.version === version
        ? last
        : this.buffers.get(bufferKey(record.stream, version));
    if (!buffer || this.queued > 0) return this.enqueue(() => this.handleRaw(record));
    this.lastRaw = buffer;
    this.bufferedBytes += buffer.raw.add(rawLine(record.line, buffer.pending.nextSequence++));
    return this.maybeCommit();
  }

  private async handleRaw(record: RawRecord): Promise<void> {
    const buffer = await this.recordBuffer(record.stream, record.version);
    if (!buffer) return;
    this.bufferedBytes += buffer.raw.add(rawLine(record.line, buffer.pending.nextSequence++));
    return this.maybeCommit();
  }

  /** Where a RECORD of this stream and version goes; undefined when the stream is not loaded. */
  private async recordBuffer(stream: string, version: number | undefined): Promise<Buffer_ | undefined> {
    const info = this.streams.get(stream);
    if (!info) throw new UserError(`RECORD for stream "${stream}" before its SCHEMA`);
    if (!info.target) return undefined;
    return this.bufferFor(stream, version ?? UNVERSIONED, info);
  }

  /**
   * Memory holds at most a chunk per stream; the byte bound keeps each transaction a sensible size. Rows go
   * to DuckDB in the background while the next ones are read (DuckDB works on its own threads).
   */
  private maybeCommit(): void | Promise<void> {
    if (this.bufferedBytes >= (this.o.maxBufferBytes ?? 16 * 1024 * 1024)) return this.commit(true);
  }

  flush(): Promise<void> {
    return this.enqueue(() => this.commit());
  }

  private async bufferFor(stream: string, version: number, info: StreamInfo): Promise<Buffer_> {
    const key = bufferKey(stream, version);
    let buffer = this.buffers.get(key);
    if (!buffer) {
      await this.inflight;
      const pending = await this.o.store.ensurePending(info.target!, this.o.source, version, info.columns);
      const name = (): string => `batch-${++this.fileCounter}.ndjson`;
      buffer = {
        stream,
        version,
        pending,
        columns: info.columns,
        rows: new Spool(this.dir, name),
        raw: new Spool(this.dir, name),
      };
      this.buffers.set(key, buffer);
    }
    return buffer;
  }

  /** The DuckDB write under way, if any: one store operation at a time. */
  private inflight: Promise<void> = Promise.resolve();

  /**
   * Writes every buffer to DuckDB, with the latest STATE (if any) in the same transaction. In the background,
   * the caller goes on at once; the write's outcome surfaces at the next store operation.
   */
  private async commit(background = false): Promise<void> {
    const state = this.heldState;
    this.heldState = undefined;
    const batches: Batch[] = [];
    for (const buffer of this.buffers.values()) {
      const { columns } = buffer;
      const rows = buffer.rows.take();
      if (rows)
        batches.push({ stream: buffer.stream, pending: buffer.pending, file: rows, columns, raw: false });
      const raw = buffer.raw.take();
      if (raw)
        batches.push({ stream: buffer.stream, pending: buffer.pending, file: raw, columns, raw: true });
    }
    this.bufferedBytes = 0;
    await this.inflight;
    if (batches.length === 0 && state === undefined) return;
    if (state) this.lastStateAt = Date.now();
    const work = this.o.store
      .append(
        batches,
        state && { source: this.o.source, value: state.value, settings: this.o.settings ?? null },
      )
      .finally(() => {
        for (const { file } of batches) rmSync(file.path, { force: true });
      })
      // A STATE is echoed (by a Singer target) only once the rows before it are in.
      .then(() => (state ? this.o.onState?.(state.value) : undefined));
    if (background) {
      work.catch(() => undefined); // awaited (and rethrown) at the next store operation
      this.inflight = work;
    } else {
      this.inflight = Promise.resolve();
      await work;
    }
  }

  /** A stream is whole: its version is ready, and becomes current when the whole input is. */
  private async markReady(stream: string, version: number): Promise<void> {
    const info = this.streams.get(stream);
    if (!info?.target) return;
    const buffer = await this.bufferFor(stream, version, info);
    await this.inflight;
    // Records without a version are an incremental stream's (or another tap's): merged by key into the table.
    const mode = version === UNVERSIONED && info.keys.length > 0 ? 'merge' : 'full';
    await this.o.store.markReady(info.target, buffer.pending, info.keys, mode);
    this.buffers.delete(bufferKey(stream, version));
    if (this.lastRaw === buffer) this.lastRaw = undefined;
  }

  /**
   * The input ended. Streams without versions (other taps) are ready now. When every versioned stream got its
   * ACTIVATE_VERSION, every ready table of the source becomes current in one transaction; otherwise nothing
   * changes (the current versions stay, the ready ones wait for a resumed run) and the unfinished streams are
   * returned, so the caller can say so.
   */
  async finish(): Promise<string[]> {
    await this.chain;
    await this.commit();
    const incomplete: string[] = [];
    for (const buffer of [...this.buffers.values()]) {
      if (buffer.version === UNVERSIONED) await this.markReady(buffer.stream, UNVERSIONED);
      else incomplete.push(buffer.stream);
    }
    const raw = this.o.store.rawLines;
    if (raw.parsedByDuckdb + raw.byRowLine > 0)
      this.o.log.debug(
        `RECORD lines loaded as they came: ${raw.parsedByDuckdb} parsed by DuckDB, ${raw.byRowLine} through the loader` +
          (raw.redoneFiles
            ? ` (${raw.redoneFiles} batch files done again through the loader: DuckDB could not read one)`
            : ''),
      );
    if (incomplete.length) return incomplete;
    // Unversioned rows an interrupted run left for a stream announced again (whole before the interruption):
    // they are merged with this sync.
    await this.inflight;
    for (const info of this.streams.values()) {
      if (!info.target || info.keys.length === 0) continue;
      const pending = await this.o.store.findPending(info.target, this.o.source, UNVERSIONED);
      if (pending) await this.o.store.markReady(info.target, pending, info.keys, 'merge');
    }
    const final = this.finalState;
    for (const { target, version, rows } of await this.o.store.activateReady(
      this.o.source,
      this.o.retentionDays,
      final && { source: this.o.source, value: final.value, settings: this.o.settings ?? null },
      this.o.models,
    )) {
      const seconds = (Date.now() - (this.started.get(target.stream) ?? Date.now())) / 1000;
      this.loaded.push({
        stream: target.stream,
        layer: target.layer,
        folder: target.folder,
        table: target.name,
        rows,
        version,
        seconds,
      });
      this.o.log.debug(`${target.layer}.${target.name}: version ${version} is current (${rows} rows)`);
    }
    return [];
  }

  close(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
