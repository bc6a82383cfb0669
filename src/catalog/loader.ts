/**
 * The embedded Singer target: SCHEMA/RECORD/STATE/ACTIVATE_VERSION in, DuckDB versions out. Rows are
 * buffered (bounded by bytes), written as NDJSON and bulk-loaded by DuckDB; a STATE is saved in the same
 * transaction as the rows before it, so a resumed sync restarts exactly where the catalog stands.
 */
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UserError } from '../errors.js';
import type { Logger } from '../log.js';
import type { SingerMessage, SingerSink } from '../singer/messages.js';
import { columnsOf, rowLine, type Column } from './columns.js';
import type { CatalogStore, Pending, TableTarget } from './store.js';

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
  maxBufferBytes?: number;
}

interface StreamInfo {
  target: TableTarget | undefined;
  keys: string[];
  columns: Column[];
}

/** Rows of one stream version on their way to DuckDB: a small string chunk, then an NDJSON file. */
interface Buffer_ {
  stream: string;
  version: number;
  pending: Pending;
  chunk: string;
  file?: { path: string; fd: number };
}

const CHUNK_BYTES = 1024 * 1024;
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

/** Streams whose records carry no version are activated when the input ends (other taps). */
const UNVERSIONED = 0;

export class CatalogLoader implements SingerSink {
  private readonly streams = new Map<string, StreamInfo>();
  private readonly buffers = new Map<string, Buffer_>();
  private bufferedBytes = 0;
  private readonly dir = mkdtempSync(join(tmpdir(), 'conversas-load-'));
  private fileCounter = 0;
  private readonly started = new Map<string, number>();
  readonly loaded: LoadedTable[] = [];

  constructor(private readonly o: LoaderOptions) {}

  private chain: Promise<void> = Promise.resolve();

  /** Messages are handled one at a time, in arrival order, even when several tap workers write at once. */
  write(message: SingerMessage): Promise<void> {
    this.chain = this.chain.then(() => this.handle(message));
    return this.chain;
  }

  private async handle(message: SingerMessage): Promise<void> {
    switch (message.type) {
      case 'SCHEMA': {
        const target = this.o.resolve(message.stream);
        this.streams.set(message.stream, {
          target,
          keys: message.key_properties ?? [],
          columns: columnsOf(message.schema),
        });
        if (!this.started.has(message.stream)) this.started.set(message.stream, Date.now());
        return;
      }
      case 'RECORD': {
        const info = this.streams.get(message.stream);
        if (!info) throw new UserError(`RECORD for stream "${message.stream}" before its SCHEMA`);
        if (!info.target) return;
        const version = message.version ?? UNVERSIONED;
        const buffer = await this.bufferFor(message.stream, version, info);
        const line = rowLine(message.record, info.columns, buffer.pending.nextSequence++);
        buffer.chunk += line;
        this.bufferedBytes += line.length;
        if (buffer.chunk.length >= CHUNK_BYTES) this.spill(buffer);
        // Memory holds at most a chunk per stream; the byte bound keeps each transaction a sensible size.
        // Rows go to DuckDB in the background while the next ones are parsed (DuckDB works on its own threads).
        if (this.bufferedBytes >= (this.o.maxBufferBytes ?? 16 * 1024 * 1024))
          await this.commit(undefined, true);
        return;
      }
      case 'STATE':
        await this.commit(message.value);
        await this.o.onState?.(message.value);
        return;
      case 'ACTIVATE_VERSION':
        await this.commit();
        await this.activate(message.stream, message.version);
        return;
    }
  }

  flush(): Promise<void> {
    this.chain = this.chain.then(() => this.commit());
    return this.chain;
  }

  private async bufferFor(stream: string, version: number, info: StreamInfo): Promise<Buffer_> {
    const key = bufferKey(stream, version);
    let buffer = this.buffers.get(key);
    if (!buffer) {
      await this.inflight;
      const pending = await this.o.store.ensurePending(info.target!, version, info.columns);
      buffer = { stream, version, pending, chunk: '' };
      this.buffers.set(key, buffer);
    }
    return buffer;
  }

  /** Moves a buffer's chunk to its NDJSON file. */
  private spill(buffer: Buffer_): void {
    if (!buffer.chunk) return;
    buffer.file ??= (() => {
      const path = join(this.dir, `batch-${++this.fileCounter}.ndjson`);
      return { path, fd: openSync(path, 'w') };
    })();
    writeSync(buffer.file.fd, buffer.chunk);
    buffer.chunk = '';
  }

  /** The DuckDB write under way, if any: one store operation at a time. */
  private inflight: Promise<void> = Promise.resolve();

  /**
   * Writes every buffer to DuckDB, with the STATE (if any) in the same transaction. In the background, the
   * caller goes on at once; the write's outcome surfaces at the next store operation.
   */
  private async commit(state?: unknown, background = false): Promise<void> {
    const batches: { pending: Pending; file: string; columns: Column[] }[] = [];
    for (const buffer of this.buffers.values()) {
      this.spill(buffer);
      if (!buffer.file) continue;
      closeSync(buffer.file.fd);
      batches.push({
        pending: buffer.pending,
        file: buffer.file.path,
        columns: this.streams.get(buffer.stream)!.columns,
      });
      delete buffer.file;
    }
    this.bufferedBytes = 0;
    await this.inflight;
    if (batches.length === 0 && state === undefined) return;
    const work = this.o.store
      .append(batches, state === undefined ? undefined : { source: this.o.source, value: state })
      .finally(() => {
        for (const { file } of batches) rmSync(file, { force: true });
      });
    if (background) {
      work.catch(() => undefined); // awaited (and rethrown) at the next store operation
      this.inflight = work;
    } else {
      this.inflight = Promise.resolve();
      await work;
    }
  }

  private async activate(stream: string, version: number): Promise<void> {
    const info = this.streams.get(stream);
    if (!info?.target) return;
    const buffer = await this.bufferFor(stream, version, info);
    await this.inflight;
    const { rows } = await this.o.store.activate(
      info.target,
      buffer.pending,
      info.keys,
      this.o.retentionDays,
    );
    this.buffers.delete(bufferKey(stream, version));
    const seconds = (Date.now() - (this.started.get(stream) ?? Date.now())) / 1000;
    this.loaded.push({
      stream,
      layer: info.target.layer,
      folder: info.target.folder,
      table: info.target.name,
      rows,
      version: buffer.pending.version,
      seconds,
    });
    this.o.log.debug(
      `${info.target.layer}.${info.target.name}: version ${buffer.pending.version} is current (${rows} rows)`,
    );
  }

  /**
   * The input ended. Streams without versions are activated now; versioned streams that never got their
   * ACTIVATE_VERSION stay pending (the current version is untouched) and are returned, so the caller can say so.
   */
  async finish(): Promise<string[]> {
    await this.chain;
    await this.commit();
    const incomplete: string[] = [];
    for (const buffer of [...this.buffers.values()]) {
      if (buffer.version === UNVERSIONED) await this.activate(buffer.stream, UNVERSIONED);
      else incomplete.push(buffer.stream);
    }
    return incomplete;
  }

  close(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
