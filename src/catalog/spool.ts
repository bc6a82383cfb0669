/**
 * Lines on their way to DuckDB: held in memory up to a chunk, then appended to a file that DuckDB reads in
 * one statement. A spool knows how many lines it holds and the longest one (DuckDB is told the size of its
 * largest object; a larger allowance than needed costs it its parallel reading).
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';

const CHUNK_BYTES = 1024 * 1024;

export interface SpoolFile {
  path: string;
  lines: number;
  longest: number;
}

export class Spool {
  private parts: (string | Buffer)[] = [];
  private held = 0;
  private fd: number | undefined;
  private path = '';
  private lines = 0;
  private longest = 0;

  constructor(
    private readonly dir: string,
    private readonly name: () => string,
  ) {}

  /** Adds one line (its parts end with a newline); returns its size in bytes (a bound for text). */
  add(parts: (string | Buffer)[]): number {
    let bytes = 0;
    for (const part of parts) {
      this.parts.push(part);
      // A string's UTF-8 size is at most three bytes a UTF-16 unit: a bound, without encoding it here.
      bytes += typeof part === 'string' ? part.length * 3 : part.length;
    }
    this.held += bytes;
    this.lines += 1;
    if (bytes > this.longest) this.longest = bytes;
    if (this.held >= CHUNK_BYTES) this.spill();
    return bytes;
  }

  /** Moves what memory holds to the file. */
  private spill(): void {
    if (!this.parts.length) return;
    if (this.fd === undefined) {
      this.path = join(this.dir, this.name());
      this.fd = openSync(this.path, 'w');
    }
    // One write of one buffer: `held` bounds the bytes, so nothing is encoded twice.
    const out = Buffer.allocUnsafe(this.held);
    let used = 0;
    for (const part of this.parts)
      used += typeof part === 'string' ? out.write(part, used) : part.copy(out, used);
    writeSync(this.fd, out, 0, used);
    this.parts = [];
    this.held = 0;
  }

  /** Closes the file for DuckDB to read and starts afresh; undefined when there is nothing. */
  take(): SpoolFile | undefined {
    this.spill();
    if (this.fd === undefined) return undefined;
    closeSync(this.fd);
    const file = { path: this.path, lines: this.lines, longest: this.longest };
    this.fd = undefined;
    this.lines = 0;
    this.longest = 0;
    return file;
  }
}
