/**
 * Singer messages from a byte stream (a tap's stdout piped in): one JSON object per line. The input is split
 * as bytes; a RECORD line in the usual layout (`{"type":"RECORD","stream":…,"record":{…}` then only
 * `version` and `time_extracted`) is handed on as its bytes, unparsed, for DuckDB to parse (see
 * catalog/raw-rows.ts). Every other line is parsed here.
 */
import { UserError } from '../errors.js';
import { checkMessage } from './validate.js';
import type { SingerMessage } from './messages.js';

/** A RECORD line left unparsed: its stream, its version (undefined when it has none) and its bytes. */
export interface RawRecord {
  type: 'RAW_RECORD';
  stream: string;
  version: number | undefined;
  line: Buffer;
}

const HEAD = /^\{\s*"type"\s*:\s*"RECORD"\s*,\s*"stream"\s*:\s*"([^"\\]+)"\s*,\s*"record"\s*:\s*\{/;
/**
 * After the record's closing brace, only `version` and `time_extracted` (plain values) and the line's own
 * brace. Neither can hold a brace, so the brace this matches first is the record's.
 */
const TAIL = /\}((?:\s*,\s*"(?:version|time_extracted)"\s*:\s*(?:\d+|"[^"\\]*"))*)\s*\}\s*$/;
const VERSION = /"version"\s*:\s*(\d+)/;
const LOOK = 160;

const names = new Map<string, string>();
/** The stream's name from its bytes read as latin1 (a UTF-8 name comes byte by byte); a stream has few names. */
function streamName(latin1: string): string {
  let name = names.get(latin1);
  if (name === undefined) {
    name = Buffer.from(latin1, 'latin1').toString('utf8');
    if (names.size < 1000) names.set(latin1, name);
  }
  return name;
}

/** The line as a RawRecord, or undefined when it is not in the layout the fast path reads. */
export function rawRecord(line: Buffer): RawRecord | undefined {
  if (line[0] !== 0x7b) return undefined;
  const head = HEAD.exec(line.toString('latin1', 0, Math.min(line.length, LOOK)));
  if (!head) return undefined;
  const tail = TAIL.exec(line.toString('latin1', Math.max(head[0].length - 1, line.length - LOOK)));
  if (!tail) return undefined;
  const version = VERSION.exec(tail[1]!);
  // A version that is not a plain whole number is refused on the parsed path, which names the line.
  if (version ? !Number.isSafeInteger(Number(version[1])) : tail[1]!.includes('"version"')) return undefined;
  const stream = streamName(head[1]!);
  return { type: 'RAW_RECORD', stream, version: version ? Number(version[1]) : undefined, line };
}

/** A line without the carriage return of a CRLF ending. */
const withoutCarriageReturn = (line: Buffer): Buffer =>
  line[line.length - 1] === 13 ? line.subarray(0, -1) : line;

/**
 * Lines of a byte stream, as buffers, a chunk's worth at a time (one await per chunk, not per line); a final
 * line without a newline is included, and a carriage return before a newline dropped.
 */
export async function* readLines(input: NodeJS.ReadableStream): AsyncGenerator<Buffer[]> {
  // The start of a line that spans chunks, joined once its end comes (a long line is not copied per chunk).
  let pending: Buffer[] = [];
  for await (const chunk of input as AsyncIterable<Buffer | string>) {
    const data = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    let end = data.indexOf(10);
    if (end === -1) {
      pending.push(data);
      continue;
    }
    const lines: Buffer[] = [];
    let start = 0;
    if (pending.length) {
      // Only the line that spans chunks is joined; the rest of the chunk is not copied.
      lines.push(withoutCarriageReturn(Buffer.concat([...pending, data.subarray(0, end)])));
      pending = [];
      start = end + 1;
      end = data.indexOf(10, start);
    }
    for (; end !== -1; end = data.indexOf(10, start)) {
      lines.push(withoutCarriageReturn(data.subarray(start, end)));
      start = end + 1;
    }
    if (start < data.length) pending.push(data.subarray(start));
    yield lines;
  }
  if (pending.length) yield [Buffer.concat(pending)];
}

const BLANK = /^\s*$/;
const KNOWN = new Set(['SCHEMA', 'RECORD', 'STATE', 'ACTIVATE_VERSION']);

/**
 * Singer messages, a chunk of input at a time, with RECORD lines in the usual layout left unparsed when
 * `raw` is set.
 */
export async function* readSingerInput(
  input: NodeJS.ReadableStream,
  options: { raw?: boolean } = {},
): AsyncGenerator<(SingerMessage | RawRecord)[]> {
  let n = 0;
  for await (const lines of readLines(input)) {
    const out: (SingerMessage | RawRecord)[] = [];
    for (const line of lines) {
      n += 1;
      const record = options.raw ? rawRecord(line) : undefined;
      if (record) {
        out.push(record);
        continue;
      }
      const text = line.toString('utf8');
      if (BLANK.test(text)) continue;
      let message: SingerMessage;
      try {
        message = JSON.parse(text) as SingerMessage;
      } catch {
        throw new UserError(
          `input line ${n} is not JSON (is something other than Singer messages on the tap's stdout?)`,
        );
      }
      if (!message || typeof message !== 'object' || typeof message.type !== 'string')
        throw new UserError(`input line ${n} is not a Singer message`);
      if (KNOWN.has(message.type)) checkMessage(message, n);
      out.push(message);
    }
    yield out;
  }
}
