/**
 * Reading a stream: the one client and limiter for a run, and the pages of any stream definition (a whole
 * listing, or one partition of a child). Everything a stream declares (path, query, window, paging, plan
 * advice) reaches the API from here and only from here.
 */
import type { TapConfig } from '../config.js';
import type { HistoryPage } from '../crypto/jwe.js';
import { ApiClient } from '../http/client.js';
import { RateLimiter, type Limiter } from '../http/limiter.js';
import { readPages, type DayRange, type PageResult } from '../http/paging.js';
import type { Logger } from '../log.js';
import { isChild, type ReadStream } from '../streams/define.js';
import { configDays } from './read-plan.js';

export interface ReaderOptions {
  config: TapConfig;
  log: Logger;
  decrypt: (jwe: string) => Promise<HistoryPage>;
  signal?: AbortSignal;
  /** The limiter's burst (requests that may go at once after a quiet spell). */
  burst?: number;
  /** A limiter shared with other readers of the account (tap/budgets.ts); a reader's own otherwise. */
  limiter?: Limiter;
  /** Cap on the total retry time of one request, below the configured one (a quick check). */
  maxRetryMs?: number;
}

export interface PagesOptions {
  /** A child's partition: its parameter and the parent's key. */
  partition?: Record<string, string>;
  /** Pages fetched at once. */
  lookahead?: number;
  /** The days to read (the read plan's); the configured ones when absent. */
  days?: DayRange;
}

export class StreamReader {
  readonly limiter: Limiter;
  readonly client: ApiClient;

  constructor(private readonly o: ReaderOptions) {
    const { config } = o;
    this.limiter =
      o.limiter ?? new RateLimiter({ requestsPerMinute: config.requests_per_minute, burst: o.burst ?? 5 });
    this.client = new ApiClient({
      baseUrl: config.api_url,
      token: config.access_token,
      limiter: this.limiter,
      log: o.log,
      timeoutMs: config.request_timeout_seconds * 1000,
      maxRetryMs: Math.min(o.maxRetryMs ?? Infinity, config.max_retry_seconds * 1000),
      backoffMs: config.retry_backoff_seconds * 1000,
      maxResponseBytes: config.max_response_mb * 1_048_576,
      ...(o.signal ? { signal: o.signal } : {}),
    });
  }

  /**
   * The pages of a stream (of one partition, for a child), in order, over the days given (the read plan's;
   * the configured ones when not given); `lookahead` pages fetched at once.
   */
  pages(stream: ReadStream, o: PagesOptions = {}): AsyncGenerator<PageResult> {
    const { decrypt, config } = this.o;
    const partition = o.partition ?? {};
    const days = o.days ?? configDays(config);
    return readPages({
      client: this.client,
      path: stream.path,
      paging: stream.paging,
      query: { ...(stream.query?.(config, days) ?? {}), ...partition },
      extract: (body, page) => stream.records(body, { page, partition, decrypt }),
      lookahead: o.lookahead ?? 4,
      ...(stream.window ? { window: stream.window(days, config) } : {}),
      ...(stream.planAdvice ? { planAdvice: stream.planAdvice } : {}),
      // One partition of a child (history per contact) has its own, smaller bound.
      maxPages: isChild(stream)
        ? { pages: config.max_history_pages, setting: 'max_history_pages' }
        : { pages: config.max_pages, setting: 'max_pages' },
    });
  }

  /** The first page of a stream, or undefined when it has none; fetches nothing beyond it. */
  async firstPage(stream: ReadStream, o: PagesOptions = {}): Promise<PageResult | undefined> {
    for await (const page of this.pages(stream, { ...o, lookahead: 1 })) return page;
    return undefined;
  }
}
