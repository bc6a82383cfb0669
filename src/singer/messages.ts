/** Singer messages (SCHEMA, RECORD, STATE, ACTIVATE_VERSION) and the sinks they are written to. */
import type { Writable } from 'node:stream';
import type { JsonSchema } from '../streams/schema.js';
import { replaceNul } from './nul.js';

export interface SchemaMessage {
  type: 'SCHEMA';
  stream: string;
  schema: JsonSchema;
  key_properties: string[];
  bookmark_properties?: string[];
}
export interface RecordMessage {
  type: 'RECORD';
  stream: string;
  record: Record<string, unknown>;
  version?: number;
  time_extracted?: string;
}
export interface StateMessage {
  type: 'STATE';
  value: unknown;
}
export interface ActivateVersionMessage {
  type: 'ACTIVATE_VERSION';
  stream: string;
  version: number;
}
export type SingerMessage = SchemaMessage | RecordMessage | StateMessage | ActivateVersionMessage;

/** Where a tap's messages go: stdout as JSON lines, or a loader in the same process. */
export interface SingerSink {
  write(message: SingerMessage): void | Promise<void>;
  /** Everything written so far has reached its destination. */
  flush(): Promise<void>;
}

const CHUNK_BYTES = 64 * 1024;

/**
 * JSON lines to a stream, batched for speed and respecting back-pressure: while the stream is full, writers
 * wait, so memory stays bounded by about one chunk. STATE and ACTIVATE_VERSION are written through at once.
 */
export class JsonLinesSink implements SingerSink {
  private buffer = '';
  private draining: Promise<void> | undefined;

  constructor(
    private readonly out: Writable,
    /** Keep U+0000 in text (singer/nul.ts); by default it becomes U+FFFD. */
    private readonly keepNul = false,
  ) {}

  /**
   * The fixed text around a RECORD's `record`, for the stream, version and extraction time of the last RECORD
   * (records come a page at a time: rebuilding it when they change costs nothing).
   */
  private around:
    { stream: string; version?: number; time?: string; parts: readonly [string, string] } | undefined;

  write(message: SingerMessage): void | Promise<void> {
    if (message.type === 'RECORD') {
      // The same line JSON.stringify(message) makes, without re-serialising what every record of a stream shares.
      let around = this.around;
      if (
        around?.stream !== message.stream ||
        around.version !== message.version ||
        around.time !== message.time_extracted
      ) {
        around = {
          stream: message.stream,
          ...(message.version !== undefined ? { version: message.version } : {}),
          ...(message.time_extracted !== undefined ? { time: message.time_extracted } : {}),
          parts: [
            `{"type":"RECORD","stream":${JSON.stringify(message.stream)},"record":`,
            `${message.version !== undefined ? `,"version":${message.version}` : ''}${message.time_extracted !== undefined ? `,"time_extracted":${JSON.stringify(message.time_extracted)}` : ''}}\n`,
          ],
        };
        this.around = around;
      }
      const { parts } = around;
      const record = JSON.stringify(message.record);
      this.buffer += parts[0] + (this.keepNul ? record : replaceNul(record)) + parts[1];
    } else this.buffer += JSON.stringify(message) + '\n';
    if (
      message.type === 'STATE' ||
      message.type === 'ACTIVATE_VERSION' ||
      this.buffer.length >= CHUNK_BYTES ||
      this.draining
    ) {
      return this.flush();
    }
  }

  async flush(): Promise<void> {
    while (this.draining) await this.draining;
    if (!this.buffer) return;
    const chunk = this.buffer;
    this.buffer = '';
    if (!this.out.write(chunk)) {
      this.draining = new Promise<void>((resolve) => {
        const done = (): void => {
          this.out.off('drain', done);
          this.out.off('close', done);
          this.out.off('error', done);
          resolve();
        };
        this.out.on('drain', done);
        this.out.on('close', done);
        this.out.on('error', done);
      }).finally(() => (this.draining = undefined));
      await this.draining;
    }
  }
}
