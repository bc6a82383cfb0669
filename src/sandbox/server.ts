/**
 * The simulated RD Station Conversas API: same paths, envelopes, paging, auth, errors, rate limit and real
 * JWE as shared/conversas-api.md describes, plus deterministic fault injection.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignJWT } from 'jose';
import { encryptForAccount, makeAccountKey } from './keys.js';
import { encodePlaintext } from './plaintext.js';
import { QUIRKS } from './quirks.js';
import { Rng } from './random.js';
import { World, type WorldOptions } from './world.js';
import type { JWK } from 'jose';

export interface FaultOptions {
  /** Share of requests answered 500/502/503 with an HTML page. */
  serverErrors?: number;
  /** Share of requests whose connection is reset before any answer. */
  resets?: number;
  /** Share of 200 answers whose JSON body is cut short. */
  truncated?: number;
  /** Share of requests answered only after `ms`. */
  slow?: { share: number; ms: number };
  /** Requests number `from` (1-based) to `from + count - 1` answer 429, whatever the bucket says. */
  rateLimitStorm?: { from: number; count: number };
  /** Paged endpoints ignore `page` and always answer the first page. */
  repeatPages?: boolean;
  /** Only these paths get faults (default: every path). */
  paths?: string[];
}

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
}

export interface Counters {
  total: number;
  byRoute: Record<string, Record<number, number>>;
  rateLimited: number;
  faults: { serverError: number; reset: number; truncated: number; slow: number; storm: number };
}

/** Things a test may change while the sandbox runs. */
export interface SandboxControl {
  tokenRevoked: boolean;
  faults: FaultOptions;
  plan: 'advanced' | 'pro';
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

const KNOWN_PATHS = new Set([
  '/v2/customers',
  '/v2/custom-fields',
  '/v2/employees',
  '/v2/flows',
  '/v2/messages/history',
  '/v4/reports',
  '/v2/template/all',
  '/v2/wallets',
  '/v2/whatsapp/integrations',
  '/v2/whatsapp/integrations/official',
  '/v2/workflows',
]);

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
  ) {
    super(String(status));
  }
}

function badRequest(field: string, message: string): HttpError {
  return new HttpError(400, { message: 'Parâmetros inválidos', errors: [{ field, message }] });
}

function intParam(query: URLSearchParams, name: string, fallback: number, min: number, max: number): number {
  const raw = query.get(name);
  if (raw === null || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw badRequest(name, `${name} deve ser um inteiro entre ${min} e ${max}`);
  }
  return value;
}

/** `YYYY-MM-DD` or an ISO 8601 date-time; returns epoch ms and whether a time was given. */
function dateParam(query: URLSearchParams, name: string): { at: number; hasTime: boolean } | undefined {
  const raw = query.get(name);
  if (raw === null || raw === '') return undefined;
  const dateOnly = /^\d{4}-\d{2}-\d{2}$/.test(raw);
  const at = Date.parse(dateOnly ? `${raw}T00:00:00Z` : raw);
  if (!/^\d{4}-\d{2}-\d{2}/.test(raw) || Number.isNaN(at))
    throw badRequest(name, `${name} deve ser uma data ISO 8601`);
  return { at, hasTime: !dateOnly };
}

const DAY = 86_400_000;
const day = (at: number): string => new Date(at).toISOString().slice(0, 10);

class TokenBucket {
  private tokens: number;
  private last = Date.now();
  constructor(
    private readonly perMs: number,
    private readonly burst: number,
  ) {
    this.tokens = burst;
  }
  take(): boolean {
    const now = Date.now();
    this.tokens = Math.min(this.burst, this.tokens + (now - this.last) * this.perMs);
    this.last = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

const HTML_ERROR = (status: number): string =>
  `<html><head><title>${status} Bad Gateway</title></head><body><center><h1>${status}</h1></center><hr><center>nginx</center></body></html>`;

export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const world = new World(options.world);
  const seed = world.options.seed;
  const [rotatedKey, currentKey] = await Promise.all([
    makeAccountKey(`conversas-${seed}-2025-key-1`),
    makeAccountKey(`conversas-${seed}-2026-key-2`),
  ]);
  const envelopes = QUIRKS.envelopes[world.options.envelopes];
  const token = await new SignJWT({
    employee: new Rng(`${seed}:employee`).hex(24),
    company: world.companyId(),
  })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuedAt(Math.floor(world.now / 1000))
    .sign(new TextEncoder().encode(`sandbox-secret-${seed}`));

  const rpm = options.requestsPerMinute ?? QUIRKS.rateLimit.requestsPerMinute;
  const limited = rpm > 0 && Number.isFinite(rpm);
  const burst = options.burst ?? QUIRKS.rateLimit.burst;
  const buckets = new Map<string, TokenBucket>();
  const control: SandboxControl = {
    tokenRevoked: false,
    faults: options.faults ?? {},
    plan: options.plan ?? 'advanced',
  };
  const freshCounters = (): Counters => ({
    total: 0,
    byRoute: {},
    rateLimited: 0,
    faults: { serverError: 0, reset: 0, truncated: 0, slow: 0, storm: 0 },
  });
  let counters = freshCounters();
  const faultSeed = options.faultSeed ?? seed;

  const count = (path: string, status: number): void => {
    const route = (counters.byRoute[KNOWN_PATHS.has(path) ? path : '(unknown)'] ??= {});
    route[status] = (route[status] ?? 0) + 1;
  };

  const answerCache = new Map<string, { text: string; headers: Record<string, string> }>();
  const cacheable = (path: string): boolean =>
    (options.cacheAnswers ?? 0) > 0 && (path === '/v2/customers' || path === '/v4/reports');
  function remember(key: string, text: string, headers: Record<string, string>): void {
    if (answerCache.size >= options.cacheAnswers!) answerCache.delete(answerCache.keys().next().value!);
    answerCache.set(key, { text, headers });
  }

  function send(
    res: ServerResponse,
    path: string,
    status: number,
    body: unknown,
    headers: Record<string, string> = {},
    cacheKey?: string,
  ): void {
    count(path, status);
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    if (cacheKey !== undefined && status === 200) remember(cacheKey, text, headers);
    const type = typeof body === 'string' ? 'text/plain; charset=utf-8' : 'application/json; charset=utf-8';
    res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(text), ...headers });
    res.end(text);
  }

  // ---- routes -------------------------------------------------------------------------------

  const listOf = (items: unknown[], key: string, shape: string): unknown =>
    shape === 'bare' ? items : { [key]: items };

  /** `page` (1-based), unless the repeat-pages fault makes every paged endpoint ignore it. */
  const pageParam = (query: URLSearchParams): number => {
    const page = intParam(query, 'page', 1, 1, 1_000_000_000);
    return control.faults.repeatPages ? 1 : page;
  };

  function customers(query: URLSearchParams): { body: unknown; headers: Record<string, string> } {
    const limit = Math.min(
      intParam(query, 'limit', QUIRKS.customers.defaultLimit, 1, 100_000),
      QUIRKS.customers.maxLimit,
    );
    const page = pageParam(query);
    const channels = query.get('channels');
    const total = channels && !channels.split(',').includes('whatsapp') ? 0 : world.options.contacts;
    const from = (page - 1) * limit;
    const items: unknown[] = [];
    for (let i = from; i < Math.min(total, from + limit); i++) {
      const { _id, ...rest } = world.contact(i);
      items.push({ [envelopes.customersIdKey]: _id, ...rest });
    }
    const headers = {
      'X-Limit': String(items.length),
      'X-Page': String(page),
      'X-Pages': String(Math.ceil(total / limit)),
      'X-Total': String(total),
    };
    return { body: listOf(items, 'data', envelopes.customers), headers };
  }

  function reports(query: URLSearchParams): unknown {
    const start = dateParam(query, 'start_date');
    const end = dateParam(query, 'end_date');
    if (!start) throw badRequest('start_date', 'start_date é obrigatório');
    if (!end) throw badRequest('end_date', 'end_date é obrigatório');
    const [startDay, endDay] = [day(start.at), day(end.at)];
    if (endDay < startDay) throw badRequest('end_date', 'end_date deve ser posterior a start_date');
    if ((Date.parse(endDay) - Date.parse(startDay)) / DAY > QUIRKS.reports.maxWindowDays) {
      throw badRequest(
        'end_date',
        `O intervalo entre as datas deve ser de no máximo ${QUIRKS.reports.maxWindowDays} dias`,
      );
    }
    const limit = intParam(query, 'limit', QUIRKS.reports.defaultLimit, 1, QUIRKS.reports.maxLimit);
    const page = pageParam(query);
    const all = world.reportsBetween(startDay, endDay);
    const pages = Math.max(1, Math.ceil(all.length / limit));
    return { docs: all.slice((page - 1) * limit, page * limit), total: all.length, limit, page, pages };
  }

  async function history(query: URLSearchParams): Promise<unknown> {
    if (control.plan !== 'advanced') {
      throw new HttpError(403, { message: 'Recurso disponível apenas para o plano Advanced', errors: [] });
    }
    const customerId = query.get('customer_id');
    if (!customerId) throw badRequest('customer_id', 'customer_id é obrigatório');
    const index = world.contactIndex(customerId);
    if (index === undefined)
      throw new HttpError(404, {
        message: 'Customer not found',
        errors: [{ field: 'customer_id', message: 'Contato não encontrado' }],
      });
    const limit = intParam(query, 'limit', QUIRKS.history.defaultLimit, 1, QUIRKS.history.maxLimit);
    const page = pageParam(query);
    const start = dateParam(query, 'start_date');
    const end = dateParam(query, 'end_date');
    const to = end ? (end.hasTime ? end.at + 1 : end.at + DAY) : world.now;
    const from = start ? start.at : to - QUIRKS.history.windowDaysWithoutStart * DAY;
    // Arrays as repeated keys; a comma-separated value is one value that matches nothing (§5.5).
    const filter = (name: string, fallback: readonly string[]): readonly string[] => {
      const values = query.getAll(name);
      return values.length ? values : fallback;
    };
    const messages = world.filterMessages(
      index,
      { from, to },
      {
        sentBy: filter('sent_by', QUIRKS.history.defaultSentBy),
        type: filter('type', QUIRKS.history.defaultType),
        channel: filter('channel', QUIRKS.history.defaultChannel),
      },
    );
    const pageItems = messages.slice((page - 1) * limit, page * limit);
    if (pageItems.length === 0) return { messages: '' };
    const variant = world.variant(index);
    const jwe = await encryptForAccount(
      encodePlaintext(pageItems, variant),
      variant.rotatedKey ? rotatedKey : currentKey,
    );
    return { messages: jwe };
  }

  const wa = world.whatsappIntegrations();
  function route(
    path: string,
    query: URLSearchParams,
  ):
    | Promise<{ body: unknown; headers?: Record<string, string> }>
    | { body: unknown; headers?: Record<string, string> } {
    switch (path) {
      case '/v2/customers':
        return customers(query);
      case '/v4/reports':
        return { body: reports(query) };
      case '/v2/messages/history':
        return history(query).then((body) => ({ body }));
      case '/v2/custom-fields':
        return { body: listOf(world.customFields(), 'custom_fields', envelopes.customFields) };
      case '/v2/employees':
        return {
          body: world.employees().map(({ _id, ...rest }) => ({ [envelopes.employeesIdKey]: _id, ...rest })),
        };
      case '/v2/flows':
        return { body: { flows: world.flows() } };
      case '/v2/template/all':
        return { body: { templates: world.templates() } };
      case '/v2/wallets':
        return {
          body: {
            wallets:
              envelopes.wallets === 'strings' ? world.wallets() : world.wallets().map((name) => ({ name })),
          },
        };
      case '/v2/whatsapp/integrations':
        return { body: listOf(wa, 'integrations', envelopes.whatsappIntegrations) };
      case '/v2/whatsapp/integrations/official':
        return { body: world.whatsappOfficialIntegrations() };
      case '/v2/workflows':
        return {
          body: {
            workflows: world
              .workflows()
              .map(({ stages, ...rest }) => ({ ...rest, [envelopes.workflowsStagesKey]: stages })),
          },
        };
      default:
        throw new HttpError(404, 'Not Found');
    }
  }

  // ---- the request pipeline: rate limit, latency, faults, auth, route ------------------------

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    counters.total += 1;
    const n = counters.total;
    const url = new URL(req.url ?? '/', 'http://sandbox');
    const path = url.pathname.replace(/\/+$/, '') || '/';
    const auth = req.headers.authorization ?? '';

    // 429 comes before routing (§3.2): it says nothing about the path.
    const storm = control.faults.rateLimitStorm;
    const inStorm = storm !== undefined && n >= storm.from && n < storm.from + storm.count;
    let bucketSaysNo = false;
    if (!inStorm && limited) {
      let bucket = buckets.get(auth);
      if (!bucket) buckets.set(auth, (bucket = new TokenBucket(rpm / 60_000, burst)));
      bucketSaysNo = !bucket.take();
    }
    if (inStorm || bucketSaysNo) {
      counters.rateLimited += 1;
      if (inStorm) counters.faults.storm += 1;
      const headers: Record<string, string> =
        options.retryAfterSeconds !== undefined ? { 'Retry-After': String(options.retryAfterSeconds) } : {};
      return send(res, path, 429, { error: 'Too Many Requests' }, headers);
    }

    const latency =
      (options.latencyMs ?? 0) + (options.latencyJitterMs ? Math.random() * options.latencyJitterMs : 0);
    const faults = control.faults;
    const rng = new Rng(`${faultSeed}:fault:${n}`);
    const faultable = !faults.paths || faults.paths.includes(path);
    const slow = faultable && faults.slow !== undefined && rng.chance(faults.slow.share);
    const wait = latency + (slow ? faults.slow!.ms : 0);
    if (slow) counters.faults.slow += 1;
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    if (res.destroyed) return;

    if (faultable && faults.resets && rng.chance(faults.resets)) {
      counters.faults.reset += 1;
      count(path, 0);
      req.socket.destroy();
      return;
    }
    if (faultable && faults.serverErrors && rng.chance(faults.serverErrors)) {
      counters.faults.serverError += 1;
      const status = rng.pick([500, 502, 503]);
      count(path, status);
      const html = HTML_ERROR(status);
      res.writeHead(status, { 'content-type': 'text/html', 'content-length': Buffer.byteLength(html) });
      res.end(html);
      return;
    }

    const bearer = /^Bearer (.+)$/.exec(auth)?.[1];
    if (!bearer) return send(res, path, 401, { auth: false, message: 'No token provided.', errors: [] });
    if (bearer !== token || control.tokenRevoked) {
      return send(res, path, 401, {
        message: 'Token inválido ou expirado',
        // Some middlewares echo what they were sent; a client must not print it back (redaction tests).
        errors: [{ field: 'Authorization', message: `invalid token: ${bearer}` }],
      });
    }
    if (!KNOWN_PATHS.has(path)) return send(res, path, 404, 'Not Found');
    if (req.method !== 'GET') return send(res, path, 405, { message: 'Método não permitido', errors: [] });
    const cached =
      cacheable(path) && !control.faults.repeatPages ? answerCache.get(path + url.search) : undefined;
    if (cached)
      return send(res, path, 200, cached.text, {
        ...cached.headers,
        'content-type': 'application/json; charset=utf-8',
      });

    let answer: { body: unknown; headers?: Record<string, string> };
    try {
      answer = await route(path, url.searchParams);
    } catch (error) {
      if (error instanceof HttpError) return send(res, path, error.status, error.body);
      throw error;
    }
    if (faultable && faults.truncated && rng.chance(faults.truncated)) {
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
    send(res, path, 200, answer.body, answer.headers, cacheable(path) ? path + url.search : undefined);
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent)
        send(res, '(error)', 500, { message: `sandbox error: ${String(error)}`, errors: [] });
    });
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    token,
    jwk: { current: currentKey.privateJwk, rotated: rotatedKey.privateJwk },
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
