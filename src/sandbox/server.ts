/**
 * The simulated RD Station Conversas API on 127.0.0.1: the gate (rate limit, faults, auth), the route table,
 * counters for tests, and an answer cache for benchmarks. Same paths, envelopes, paging, errors and real JWE
 * as docs/api-notes.md describes; every unsure fact it plays is in quirks.ts.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { JWK } from 'jose';
import { SignJWT } from 'jose';
import { Gate, HTML_ERROR, type FaultOptions, type SandboxControl } from './gate.js';
import { makeAccountKey } from './keys.js';
import { QUIRKS } from './quirks.js';
import { Rng } from './random.js';
import { HttpError, makeRoutes, type Answer } from './routes.js';
import { World, type WorldOptions } from './world.js';

export type { FaultOptions, SandboxControl } from './gate.js';

export interface SandboxOptions {
  port?: number;
  world?: Partial<WorldOptions>;
  /** Requests per minute per token; 0 or Infinity turns the limit off. */
  requestsPerMinute?: number;
  burst?: number;
  /** Send `Retry-After` (seconds) on 429s; the live API is not known to. */
  retryAfterSeconds?: number;
  /** Fixed latency added to every answer, plus up to `latencyJitterMs` more. */
  latencyMs?: number;
  latencyJitterMs?: number;
  /** `pro` answers 403 on messages history (an Advanced-plan feature, §1.4). */
  plan?: 'advanced' | 'pro';
  faults?: FaultOptions;
  faultSeed?: number;
  /**
   * Keep up to this many 200 answers of /v2/customers and /v4/reports, serialised, and serve them again. For
   * benchmarks that measure the client's own throughput without the simulator's generation cost.
   */
  cacheAnswers?: number;
  /** Sees every request's path and query as it arrives (tests check what a client asked for). */
  onRequest?: (path: string, query: URLSearchParams) => void;
}

export interface Counters {
  total: number;
  byRoute: Record<string, Record<number, number>>;
  rateLimited: number;
  faults: { serverError: number; reset: number; truncated: number; slow: number; storm: number };
}

export interface Sandbox {
  url: string;
  token: string;
  /** The current private JWK, and the one it replaced ("Gerar Chave" twice, §4). */
  jwk: { current: JWK; rotated: JWK };
  world: World;
  counters: Counters;
  control: SandboxControl;
  /** Requests served so far on a path with a given status (any status when omitted). */
  count(path: string, status?: number): number;
  resetCounters(): void;
  close(): Promise<void>;
}

const CACHEABLE = new Set(['/v2/customers', '/v4/reports']);

export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const world = new World(options.world);
  const seed = world.options.seed;
  const [rotated, current] = await Promise.all([
    makeAccountKey(`conversas-${seed}-2025-key-1`),
    makeAccountKey(`conversas-${seed}-2026-key-2`),
  ]);
  const token = await new SignJWT({
    employee: new Rng(`${seed}:employee`).hex(24),
    company: world.account.companyId(),
  })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuedAt(Math.floor(world.now / 1000))
    .sign(new TextEncoder().encode(`sandbox-secret-${seed}`));

  const control: SandboxControl = {
    tokenRevoked: false,
    faults: options.faults ?? {},
    plan: options.plan ?? 'advanced',
  };
  const gate = new Gate({
    requestsPerMinute: options.requestsPerMinute ?? QUIRKS.rateLimit.requestsPerMinute,
    burst: options.burst ?? QUIRKS.rateLimit.burst,
    latencyMs: options.latencyMs ?? 0,
    latencyJitterMs: options.latencyJitterMs ?? 0,
    faultSeed: options.faultSeed ?? seed,
    token,
    control,
  });
  const routes = makeRoutes({
    world,
    envelopes: world.options.envelopes,
    control,
    keys: { current, rotated },
  });
  const freshCounters = (): Counters => ({
    total: 0,
    byRoute: {},
    rateLimited: 0,
    faults: { serverError: 0, reset: 0, truncated: 0, slow: 0, storm: 0 },
  });
  let counters = freshCounters();
  const count = (path: string, status: number): void => {
    const route = (counters.byRoute[path in routes ? path : '(unknown)'] ??= {});
    route[status] = (route[status] ?? 0) + 1;
  };

  const answerCache = new Map<string, { text: string; headers: Record<string, string> }>();
  const cacheLimit = options.cacheAnswers ?? 0;
  const cacheKey = (path: string, search: string): string | undefined =>
    cacheLimit > 0 && CACHEABLE.has(path) && !control.faults.repeatPages ? path + search : undefined;

  function send(
    res: ServerResponse,
    path: string,
    status: number,
    body: unknown,
    headers: Record<string, string> = {},
    key?: string,
  ): void {
    count(path, status);
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    if (key !== undefined && status === 200) {
      if (answerCache.size >= cacheLimit) answerCache.delete(answerCache.keys().next().value!);
      answerCache.set(key, { text, headers });
    }
    const type = typeof body === 'string' ? 'text/plain; charset=utf-8' : 'application/json; charset=utf-8';
    res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(text), ...headers });
    res.end(text);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    counters.total += 1;
    const n = counters.total;
    const url = new URL(req.url ?? '/', 'http://sandbox');
    const path = url.pathname.replace(/\/+$/, '') || '/';
    const auth = req.headers.authorization ?? '';
    options.onRequest?.(path, url.searchParams);

    // 429 comes before routing (§3.2): it says nothing about the path.
    const limited = gate.rateLimit(n, auth);
    if (limited) {
      counters.rateLimited += 1;
      if (limited === 'storm') counters.faults.storm += 1;
      const headers: Record<string, string> =
        options.retryAfterSeconds !== undefined ? { 'Retry-After': String(options.retryAfterSeconds) } : {};
      return send(res, path, 429, { error: 'Too Many Requests' }, headers);
    }

    const faults = gate.faults(n, path);
    if (faults.slow) counters.faults.slow += 1;
    if (faults.delayMs > 0) await new Promise((r) => setTimeout(r, faults.delayMs));
    if (res.destroyed) return;
    if (faults.reset) {
      counters.faults.reset += 1;
      count(path, 0);
      req.socket.destroy();
      return;
    }
    if (faults.serverError !== undefined) {
      counters.faults.serverError += 1;
      count(path, faults.serverError);
      const html = HTML_ERROR(faults.serverError);
      res.writeHead(faults.serverError, {
        'content-type': 'text/html',
        'content-length': Buffer.byteLength(html),
      });
      res.end(html);
      return;
    }

    const refused = gate.authenticate(auth);
    if (refused) return send(res, path, 401, refused);
    const route = routes[path];
    if (!route) return send(res, path, 404, 'Not Found');
    if (req.method !== 'GET') return send(res, path, 405, { message: 'Método não permitido', errors: [] });
    const key = cacheKey(path, url.search);
    const cached = key !== undefined ? answerCache.get(key) : undefined;
    if (cached)
      return send(res, path, 200, cached.text, {
        ...cached.headers,
        'content-type': 'application/json; charset=utf-8',
      });

    let answer: Answer;
    try {
      answer = await route(url.searchParams);
    } catch (error) {
      if (error instanceof HttpError) return send(res, path, error.status, error.body);
      throw error;
    }
    if (faults.truncate) {
      counters.faults.truncated += 1;
      const text = JSON.stringify(answer.body);
      const cut = text.slice(0, Math.max(1, Math.floor(text.length / 2)));
      count(path, 200);
      res.writeHead(200, {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(cut),
        ...answer.headers,
      });
      res.end(cut);
      return;
    }
    send(res, path, 200, answer.body, answer.headers, key);
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent)
        send(res, '(error)', 500, { message: `sandbox error: ${String(error)}`, errors: [] });
    });
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    token,
    jwk: { current: current.privateJwk, rotated: rotated.privateJwk },
    world,
    get counters() {
      return counters;
    },
    control,
    count(path, status) {
      const route = counters.byRoute[path] ?? {};
      return status === undefined ? Object.values(route).reduce((a, b) => a + b, 0) : (route[status] ?? 0);
    },
    resetCounters() {
      counters = freshCounters();
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
