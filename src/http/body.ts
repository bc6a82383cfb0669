/** Reading an answer's body: bounded in size, and described in one short, redacted line when it is an error. */
import { isUtf8 } from 'node:buffer';
import type { Readable } from 'node:stream';
import { ApiError } from '../errors.js';
import { redactor } from '../redact.js';

/** An answer's text, and how many invalid UTF-8 sequences in it became U+FFFD (0 for a valid answer). */
export interface BodyText {
  text: string;
  invalidUtf8: number;
}

const REPLACEMENT = Buffer.from('\uFFFD', 'utf8');

/**
 * Bytes as UTF-8 text. Each invalid sequence becomes U+FFFD, as every decoder does, and is counted (a
 * U+FFFD the API itself sent is not): the caller reports them and refuses a key that holds one.
 */
export function decodeUtf8(bytes: Buffer): BodyText {
  const text = bytes.toString('utf8');
  if (isUtf8(bytes)) return { text, invalidUtf8: 0 };
  let sent = 0;
  for (let at = bytes.indexOf(REPLACEMENT); at !== -1; at = bytes.indexOf(REPLACEMENT, at + 3)) sent += 1;
  let decoded = 0;
  for (let at = text.indexOf('\uFFFD'); at !== -1; at = text.indexOf('\uFFFD', at + 1)) decoded += 1;
  return { text, invalidUtf8: decoded - sent };
}

/**
 * The body as text, refusing to read past `maxBytes` once decoded (a compressed answer can expand a
 * thousandfold: a gzip bomb must not take the process's memory). Read with events, not an async iterator:
 * a promise per chunk is most of what reading a body costs.
 */
export function readCapped(body: Readable | null, maxBytes: number, label: string): Promise<BodyText> {
  if (!body) return Promise.resolve({ text: '', invalidUtf8: 0 });
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer): void => {
      size += chunk.byteLength;
      if (size > maxBytes) {
        cleanup();
        // Stops reading, and its connection: nothing more of this answer is wanted.
        body.destroy();
        reject(
          new ApiError(
            `${label} answered more than ${Math.round(maxBytes / 1_048_576)} MB; not reading further (raise max_response_mb if an answer that big is real)`,
          ),
        );
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void => {
      cleanup();
      // One decode of the whole body (a character split across chunks is whole again).
      resolve(decodeUtf8(Buffer.concat(chunks, size)));
    };
    const onError = (error: Error): void => {
      cleanup();
      reject(error);
    };
    const onClose = (): void => {
      // Closed before its end: a reset mid-answer.
      cleanup();
      reject(
        Object.assign(new Error('the connection closed before the answer ended'), { code: 'ECONNRESET' }),
      );
    };
    const cleanup = (): void => {
      body.off('data', onData).off('end', onEnd).off('error', onError).off('close', onClose);
    };
    body.on('data', onData).on('end', onEnd).on('error', onError).on('close', onClose);
  });
}

/** A short, single-line, redacted description of an answer body, whatever its format. */
export function describeBody(text: string): string {
  let out = text;
  try {
    const body = JSON.parse(text) as unknown;
    if (body && typeof body === 'object') {
      const b = body as Record<string, unknown>;
      const parts = [b['message'], b['error']].filter((p) => typeof p === 'string') as string[];
      if (Array.isArray(b['errors'])) {
        for (const e of b['errors'] as Record<string, unknown>[]) {
          if (e && typeof e === 'object') parts.push([e['field'], e['message']].filter(Boolean).join(': '));
        }
      }
      if (parts.length) out = parts.join('; ');
    } else if (typeof body === 'string') out = body;
  } catch {
    out = text.replace(/<(script|style)[\s\S]*?<\/\1>/gi, ' ').replace(/<[^>]*>/g, ' ');
  }
  out = out.replace(/\s+/g, ' ').trim();
  // Redact before cutting: a cut secret would no longer match.
  out = redactor.redact(out);
  return out.length > 200 ? `${out.slice(0, 200)}…` : out || '(empty body)';
}
