/**
 * The one HTTP client: bearer auth, the shared limiter, retries with exponential backoff and jitter for
 * 429, 5xx, resets, timeouts and truncated bodies, a bounded total retry time, and errors that say what to do.
 * Error bodies may be JSON, plain text or HTML (§3.1): never assume JSON.
 */
import { ApiError } from '../errors.js';
import type { Logger } from '../log.js';
import { describeBody, readCapped } from './body.js';
import { sleep, type Limiter } from './limiter.js';
import { get, type RawResponse, type ResponseHeaders } from './transport.js';

export type QueryValue = string | number | readonly string[] | undefined;
export type Query = Record<string, QueryValue>;

export interface ApiResponse {
  status: number;
  headers: ResponseHeaders;
  body: unknown;
  /** Invalid UTF-8 sequences in the answer, each read as U+FFFD. */
  invalidUtf8: number;
}

export interface ClientOptions {
  baseUrl: string;
  token: string;
  limiter: Limiter;
  log: Logger;
  timeoutMs: number;
  maxRetryMs: number;
  backoffMs: number;
  /** The most an answer may hold, decoded. */
  maxResponseBytes: number;
  /** Aborts every request in flight and waiting (SIGINT/SIGTERM). */
  signal?: AbortSignal;
}

const MAX_BACKOFF_MS = 60_000;
const MAX_ATTEMPTS = 25;
/**
 * How long a run whose API has never answered keeps trying to connect: a wrong api_url or a server that is not
 * running does not come back by waiting half an hour. Once the API has answered, a lost connection is retried
 * as long as any other passing problem (maxRetryMs).
 */
const FIRST_CONNECT_MS = 15_000;
/** Connections that did not get through (as opposed to one cut during an answer). */
const UNREACHABLE = new Set([
  'ECONNREFUSED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EADDRNOTAVAIL',
]);
const MAX_REDIRECTS = 5;
const LOOPBACK = /^(localhost|127\.\d+\.\d+\.\d+|\[::1\])$/;

/** Arrays go as repeated keys (`type=text&type=audio`): a comma list returns nothing live (§5.5). */
export function buildUrl(base: string, path: string, query: Query = {}): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const v of value) params.append(key, v);
    else params.append(key, String(value));
  }
  const qs = params.toString();
  return `${base}${path}${qs ? `?${qs}` : ''}`;
}

/**
 * What a failed connection means: a host that does not resolve will not start resolving on a retry (say what
 * to fix now); anything else (a reset, a refused connection) may pass.
 */
export function connectionProblem(error: unknown, label: string, url: string): Error {
  // node:http puts the code on the error; fetch on its cause.
  const e = error as { code?: string; message?: string; cause?: { code?: string; message?: string } };
  const code = e.code ?? e.cause?.code;
  if (code === 'ENOTFOUND')
    return new ApiError(`${label}: the host ${new URL(url).hostname} does not resolve: check api_url`);
  return new Retryable(
    `connection failed (${code ?? e.cause?.message ?? e.message})`,
    undefined,
    code !== undefined && UNREACHABLE.has(code),
  );
}

export class Retryable extends Error {
  constructor(
    message: string,
    readonly retryAfterMs?: number,
    /** The connection did not get through at all. */
    readonly unreachable = false,
  ) {
    super(message);
  }
}

export class ApiClient {
  requests = 0;
  retries = 0;
  /** Whether the API has answered anything yet (then a connection that fails is retried for long). */
  private answered = false;

  private readonly origin: string;

  constructor(private readonly options: ClientOptions) {
    const base = new URL(options.baseUrl);
    this.origin = base.origin;
    if (base.protocol === 'http:' && !LOOPBACK.test(base.hostname))
      options.log.warn(
        `api_url uses plain http:// to ${base.hostname}: the access token travels unencrypted; use https://`,
      );
  }

  /** Follows redirects within the API's own origin only: data from another host is not the API's. */
  private async fetchSameOrigin(url: string, label: string, signal: AbortSignal): Promise<RawResponse> {
    let current = url;
    for (let hop = 0; ; hop++) {
      const response = await get(
        current,
        { Authorization: `Bearer ${this.options.token}`, Accept: 'application/json' },
        signal,
      );
      const location = response.headers.get('location');
      if (response.status < 300 || response.status >= 400 || !location) return response;
      response.body.resume(); // the redirect's own body is not read
      const next = new URL(location, current);
      if (next.origin !== this.origin)
        throw new ApiError(
          `${label} was redirected to another host (${next.origin}); not following it: check api_url`,
        );
      if (hop >= MAX_REDIRECTS)
        throw new ApiError(`${label} was redirected more than ${MAX_REDIRECTS} times`);
      current = next.href;
    }
  }

  /**
   * GET a path; resolves with the parsed JSON body of a 2xx answer, or throws an ApiError. `planAdvice` says
   * what a 401/402/403 means on this endpoint when it is a feature of some plans only.
   */
  async get(path: string, query: Query = {}, planAdvice?: string): Promise<ApiResponse> {
    const { options } = this;
    const url = buildUrl(options.baseUrl, path, query);
    const label = `GET ${path}`;
    const started = Date.now();
    const deadline = started + options.maxRetryMs;
    let lastProblem = '';
    for (let attempt = 1; ; attempt++) {
      await options.limiter.acquire(options.signal);
      try {
        const response = await this.attempt(url, label, planAdvice);
        options.limiter.succeeded();
        return response;
      } catch (error) {
        if (!(error instanceof Retryable)) throw error;
        if (options.signal?.aborted) throw options.signal.reason as Error;
        lastProblem = error.message;
        const backoff =
          Math.min(MAX_BACKOFF_MS, options.backoffMs * 2 ** (attempt - 1)) * (0.5 + Math.random() * 0.5);
        const delay = Math.max(backoff, error.retryAfterMs ?? 0);
        if (error.unreachable && !this.answered && Date.now() + delay > started + FIRST_CONNECT_MS)
          throw new ApiError(
            `${label}: cannot connect to ${options.baseUrl} (${lastProblem.replace(/^connection failed \((.*)\)$/, '$1')}; ${attempt} attempts in ${Math.round((Date.now() - started) / 1000)} s): check api_url, and that the API is up`,
          );
        if (attempt >= MAX_ATTEMPTS || Date.now() + delay > deadline) {
          throw new ApiError(
            `${label} failed after ${attempt} attempts in ${Math.round((Date.now() - started) / 1000)} s: ${lastProblem}`,
          );
        }
        this.retries += 1;
        options.log.debug(`${label}: ${lastProblem}; retry ${attempt} in ${Math.round(delay)} ms`);
        await sleep(delay, options.signal);
      }
    }
  }

  private async attempt(url: string, label: string, planHint: string | undefined): Promise<ApiResponse> {
    const { options } = this;
    this.requests += 1;
    // One controller per request, released when it settles: a long-lived run signal composed with
    // AbortSignal.any would keep every request's signal alive (memory growing with request count).
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, options.timeoutMs);
    const onRunAbort = (): void => controller.abort();
    options.signal?.addEventListener('abort', onRunAbort, { once: true });
    let response: RawResponse;
    let text: string;
    let invalidUtf8: number;
    try {
      response = await this.fetchSameOrigin(url, label, controller.signal);
      this.answered = true;
      ({ text, invalidUtf8 } = await readCapped(response.body, options.maxResponseBytes, label));
    } catch (error) {
      if (error instanceof ApiError) throw error;
      if (options.signal?.aborted) throw options.signal.reason as Error;
      if (timedOut) throw new Retryable(`no answer within ${options.timeoutMs / 1000} s`);
      throw connectionProblem(error, label, url);
    } finally {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onRunAbort);
    }
    const { status } = response;
    if (status === 429) {
      const retryAfter = parseRetryAfter(response.headers.get('retry-after'));
      options.limiter.throttled(retryAfter);
      throw new Retryable('rate limited (429)', retryAfter);
    }
    if (status >= 500) throw new Retryable(`server error ${status}: ${describeBody(text)}`);
    // 401 means a refused token, except where a feature is gated by plan: there the sources report 401,
    // 402 or 403 alike (docs/api-notes.md §1.4, §3.1), and the hint says so.
    if (status === 401) {
      const advice = 'the access_token was refused; copy a fresh one from Apps e Integrações > API';
      throw new ApiError(
        `${label} answered 401 (${describeBody(text)}): ${advice}${planHint ? ` (or ${planHint})` : ''}`,
        401,
      );
    }
    if (status === 402 || status === 403) {
      throw new ApiError(
        `${label} answered ${status} (${describeBody(text)}): ${planHint ?? 'this token has no permission for it'}`,
        status,
      );
    }
    if (status === 404 && text.trim() === 'Not Found') {
      throw new ApiError(
        `${label} answered 404 Not Found: no such route at ${options.baseUrl}; check api_url`,
        404,
      );
    }
    if (status < 200 || status >= 300)
      throw new ApiError(`${label} answered ${status}: ${describeBody(text)}`, status);
    // A web page is never the API's answer, however often it is asked again.
    if (/text\/html/i.test(response.headers.get('content-type') ?? '') || /^\s*<(!doctype|html)/i.test(text))
      throw new ApiError(
        `${label} answered ${status} with a web page, not JSON: api_url (${options.baseUrl}) does not look like the API`,
        status,
      );
    try {
      const body = text === '' ? null : (JSON.parse(text) as unknown);
      return { status, headers: response.headers, body, invalidUtf8 };
    } catch {
      // A 200 whose body is cut short (seen behind proxies) is worth another try; a persistent one fails below.
      throw new Retryable(`malformed JSON in a ${status} answer (${text.length} bytes)`);
    }
  }
}

function parseRetryAfter(value: string | null): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}
