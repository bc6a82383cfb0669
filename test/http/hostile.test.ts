/**
 * The HTTP client against a hostile server of the test's own on 127.0.0.1: a gzip bomb, an absurd page count,
 * redirects to another host, a web page where JSON should be. Each must end fast, in one clear line.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config.js';
import { ApiError } from '../../src/errors.js';
import { ApiClient, connectionProblem, Retryable } from '../../src/http/client.js';
import { RateLimiter } from '../../src/http/limiter.js';
import { silentLogger, type Logger } from '../../src/log.js';
import { runSync } from '../../src/tap/sync.js';
import { MemorySink } from '../helpers.js';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;
const routes = new Map<string, Handler>();
const hits = new Map<string, number>();
let server: Server;
let other: Server;
let base: string;
let otherBase: string;

const listen = async (s: Server): Promise<string> => {
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
};

beforeAll(async () => {
  server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    hits.set(path, (hits.get(path) ?? 0) + 1);
    const route = routes.get(path);
    if (route) route(req, res);
    else res.writeHead(404).end('Not Found');
  });
  other = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('[]'));
  [base, otherBase] = await Promise.all([listen(server), listen(other)]);
});
afterAll(() => Promise.all([server, other].map((s) => new Promise((r) => s.close(r)))));

const json =
  (body: unknown, headers: Record<string, string> = {}): Handler =>
  (_req, res) =>
    res.writeHead(200, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));

function client(extra: Partial<ConstructorParameters<typeof ApiClient>[0]> = {}): ApiClient {
  return new ApiClient({
    baseUrl: base,
    token: 'test-token-value',
    limiter: new RateLimiter({ requestsPerMinute: 1_000_000 }),
    log: silentLogger,
    timeoutMs: 10_000,
    maxRetryMs: 30_000,
    backoffMs: 10,
    maxResponseBytes: 1_048_576,
    ...extra,
  });
}

describe('hostile answers', () => {
  it('a gzip bomb: the decoded size is capped, the request fails at once and is not retried', async () => {
    const bomb = gzipSync(Buffer.alloc(32 * 1_048_576, 0x20));
    routes.set('/bomb', (_req, res) =>
      res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' }).end(bomb),
    );
    const error = await client()
      .get('/bomb')
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as Error).message).toBe(
      'GET /bomb answered more than 1 MB; not reading further (raise max_response_mb if an answer that big is real)',
    );
    expect(hits.get('/bomb')).toBe(1);
  });

  it('a page count of a billion: refused before any further page, naming the setting', async () => {
    routes.set('/v2/customers', json([{ _id: 'a' }], { 'X-Pages': '1000000000', 'X-Total': '1000000000' }));
    hits.delete('/v2/customers');
    const config = validateConfig({
      access_token: 'test-token-value',
      api_url: base,
      retry_backoff_seconds: 0.01,
    });
    const error = await runSync({
      config,
      selected: ['contacts'],
      sink: new MemorySink(),
      log: silentLogger,
    }).catch((e: unknown) => e);
    expect((error as Error).message).toMatch(
      /^GET \/v2\/customers claims 1000000000 pages, more than 20000; not reading them \(raise max_pages if this is real\)$/,
    );
    expect(hits.get('/v2/customers')).toBe(1);
  });

  it('invalid UTF-8: counted per stream, text kept with U+FFFD, two keys never made one', async () => {
    // Two ids that differ only in an invalid byte (0xFF, 0xFE) would both read "a\uFFFD"; a name holds a
    // Latin-1 "ã" (0xE3), and another an U+FFFD the API really sent (not counted).
    const body = Buffer.concat([
      Buffer.from('[{"_id":"ok1","name":"Jo'),
      Buffer.from([0xe3]),
      Buffer.from('o"},{"_id":"a'),
      Buffer.from([0xff]),
      Buffer.from('"},{"_id":"a'),
      Buffer.from([0xfe]),
      Buffer.from('"},{"_id":"ok2","name":"\uFFFD sent"}]', 'utf8'),
    ]);
    routes.set('/v2/customers', (_req, res) =>
      res.writeHead(200, { 'content-type': 'application/json', 'x-pages': '1', 'x-total': '4' }).end(body),
    );
    const warnings: string[] = [];
    const sink = new MemorySink();
    await runSync({
      config: validateConfig({ access_token: 'test-token-value', api_url: base }),
      selected: ['contacts'],
      sink,
      log: { ...silentLogger, warn: (m) => void warnings.push(m) },
    });
    expect(sink.records('contacts').map((r) => [r['_id'], r['name']])).toEqual([
      ['ok1', 'Jo\uFFFDo'],
      ['ok2', '\uFFFD sent'],
    ]);
    expect(warnings).toContain(
      "contacts: the API's answers held 3 invalid UTF-8 sequence(s), each written as U+FFFD; 2 record(s) left out because their key (_id) held one (two such keys could become one)",
    );
  });

  it('a redirect to another host is refused; one within the API is followed', async () => {
    routes.set('/away', (_req, res) => res.writeHead(302, { location: `${otherBase}/data` }).end());
    await expect(client().get('/away')).rejects.toThrow(
      `GET /away was redirected to another host (${otherBase}); not following it: check api_url`,
    );
    routes.set('/moved', (_req, res) => res.writeHead(301, { location: '/moved/' }).end());
    routes.set('/moved/', json({ flows: [] }));
    expect((await client().get('/moved')).body).toEqual({ flows: [] });
  });

  it('a web page with 200 where JSON should be: one line saying api_url looks wrong, no retries', async () => {
    routes.set('/page', (_req, res) =>
      res
        .writeHead(200, { 'content-type': 'text/html' })
        .end('<!doctype html><html><body>Login</body></html>'),
    );
    await expect(client().get('/page')).rejects.toThrow(
      `GET /page answered 200 with a web page, not JSON: api_url (${base}) does not look like the API`,
    );
    expect(hits.get('/page')).toBe(1);
  });

  it('a host that does not resolve is not retried; a reset is', () => {
    const notFound = connectionProblem(
      new TypeError('fetch failed', { cause: { code: 'ENOTFOUND' } }),
      'GET /v2/flows',
      'https://api.example.invalid/v2/flows',
    );
    expect(notFound).toBeInstanceOf(ApiError);
    expect(notFound.message).toBe(
      'GET /v2/flows: the host api.example.invalid does not resolve: check api_url',
    );
    const reset = connectionProblem(
      new TypeError('fetch failed', { cause: { code: 'ECONNRESET' } }),
      'x',
      base,
    );
    expect(reset).toBeInstanceOf(Retryable);
  });
});

describe('secrets echoed back', () => {
  it('a short token, echoed lower-cased in an error, is still redacted', async () => {
    const token = 'Tk7Q';
    validateConfig({ access_token: token, api_url: base }); // registers the secret, as the tap does
    routes.set('/echo', (req, res) =>
      res
        .writeHead(401, { 'content-type': 'application/json' })
        .end(
          JSON.stringify({ message: `invalid token: ${String(req.headers.authorization).toLowerCase()}` }),
        ),
    );
    const error = await client({ token })
      .get('/echo')
      .catch((e: unknown) => e);
    expect((error as Error).message).toMatch(
      /^GET \/echo answered 401 \(invalid token: bearer \[REDACTED\]\)/,
    );
    expect((error as Error).message.toLowerCase()).not.toContain(token.toLowerCase());
  });
});

describe('transport settings', () => {
  it('warns once when the token would travel over plain http to another machine', () => {
    const warnings: string[] = [];
    const log: Logger = { ...silentLogger, warn: (m) => void warnings.push(m) };
    client({ baseUrl: 'http://api.example.com', log });
    client({ baseUrl: 'http://127.0.0.1:9', log });
    client({ baseUrl: 'https://api.example.com', log });
    expect(warnings).toEqual([
      'api_url uses plain http:// to api.example.com: the access token travels unencrypted; use https://',
    ]);
  });

  it('refuses credentials in api_url without printing them', () => {
    const attempt = () =>
      validateConfig({ access_token: 't', api_url: 'https://user:hunter22@api.example.com' });
    expect(attempt).toThrow('api_url must not hold a user name or password: the access_token authenticates');
    try {
      attempt();
    } catch (error) {
      expect((error as Error).message).not.toContain('hunter22');
    }
  });
});
