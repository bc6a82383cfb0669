/**
 * One GET over node:http(s) with keep-alive connections: the lean path under the client (Node's `fetch` and its
 * web streams cost the tap about a quarter of its CPU; bench scenario `floors`). Compressed answers are decoded
 * here, so that the size cap applies to what the answer really holds. Redirects, retries, timeouts and errors
 * stay the client's.
 */
import http from 'node:http';
import https from 'node:https';
import type { Readable } from 'node:stream';
import zlib from 'node:zlib';

/** An answer's headers, read by name (any case); a plain view of node's, not a WHATWG `Headers`, whose first use loads Node's fetch internals. */
export interface ResponseHeaders {
  get(name: string): string | null;
}

export interface RawResponse {
  status: number;
  headers: ResponseHeaders;
  /** The decoded body, chunk by chunk. */
  body: Readable;
}

const agents = {
  'http:': new http.Agent({ keepAlive: true }),
  'https:': new https.Agent({ keepAlive: true }),
};

function decoded(res: http.IncomingMessage): Readable {
  const encoding = String(res.headers['content-encoding'] ?? '')
    .trim()
    .toLowerCase();
  const decoder =
    encoding === 'gzip' || encoding === 'x-gzip'
      ? zlib.createGunzip()
      : encoding === 'deflate'
        ? zlib.createInflate()
        : encoding === 'br'
          ? zlib.createBrotliDecompress()
          : undefined;
  if (!decoder) return res;
  // An error on either side ends the decoded stream with it (a reset mid-answer is retried by the client).
  res.on('error', (error) => decoder.destroy(error));
  decoder.on('close', () => res.destroy());
  return res.pipe(decoder);
}

/** Sends a GET; resolves once the status and headers are in (the body is read by the caller). */
export function get(url: string, headers: Record<string, string>, signal: AbortSignal): Promise<RawResponse> {
  const target = new URL(url);
  const client = target.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const request = client.get(
      target,
      {
        agent: agents[target.protocol as keyof typeof agents],
        headers: { ...headers, 'Accept-Encoding': 'gzip, deflate, br' },
        signal,
      },
      (res) => {
        const raw = res.headers;
        const out: ResponseHeaders = {
          get: (name) => {
            const value = raw[name.toLowerCase()];
            return value === undefined ? null : Array.isArray(value) ? value.join(', ') : value;
          },
        };
        resolve({ status: res.statusCode ?? 0, headers: out, body: decoded(res) });
      },
    );
    request.on('error', reject);
  });
}
