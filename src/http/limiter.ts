/**
 * One limiter for every request of a run: a token bucket at the configured budget with a small
 * burst, made adaptive the way TCP is (AIMD): a 429 cuts the rate and pauses everyone; success wins the rate
 * back slowly, and more slowly still near the rate at which the last 429 came. So a budget lower than
 * configured, or shared with another tool, is found and then respected.
 */
export interface LimiterOptions {
  requestsPerMinute: number;
  burst?: number;
  now?: () => number;
}

const sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason as Error);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal!.reason as Error);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
export { sleep };

export class RateLimiter {
  readonly configuredPerMinute: number;
  private ratePerMinute: number;
  private ceilingPerMinute: number;
  private readonly burst: number;
  private tokens: number;
  private lastRefill: number;
  private pausedUntil = 0;
  private lastDecrease = -Infinity;
  private queue: Promise<void> = Promise.resolve();
  private readonly now: () => number;
  throttles = 0;

  constructor(options: LimiterOptions) {
    this.now = options.now ?? Date.now;
    this.configuredPerMinute = options.requestsPerMinute;
    this.ratePerMinute = options.requestsPerMinute;
    this.ceilingPerMinute = options.requestsPerMinute;
    this.burst = Math.max(1, options.burst ?? 5);
    this.tokens = this.burst;
    this.lastRefill = this.now();
  }

  get currentPerMinute(): number {
    return this.ratePerMinute;
  }

  private refill(): void {
    const now = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.lastRefill) * this.ratePerMinute) / 60_000);
    this.lastRefill = now;
  }

  /** Resolves when a request may go; callers are served in arrival order. */
  acquire(signal?: AbortSignal): Promise<void> {
    const turn = this.queue.then(() => this.waitForToken(signal));
    this.queue = turn.catch(() => undefined);
    return turn;
  }

  private async waitForToken(signal?: AbortSignal): Promise<void> {
    for (;;) {
      this.refill();
      const paused = this.pausedUntil - this.now();
      if (paused > 0) {
        await sleep(paused, signal);
        continue;
      }
      if (this.tokens >= 1) {
        this.tokens -= 1;
        return;
      }
      await sleep(Math.ceil(((1 - this.tokens) * 60_000) / this.ratePerMinute), signal);
    }
  }

  /**
   * A 429: cut the rate (once per congestion event: 429s within about one request interval of the last cut
   * are the same event), drop saved-up tokens, and pause everyone for `retryAfterMs` when given. The rate
   * never falls below a tenth of the configured budget, so a storm of 429s cannot stall the sync for hours.
   */
  throttled(retryAfterMs?: number): void {
    this.throttles += 1;
    this.refill();
    const now = this.now();
    if (now - this.lastDecrease > Math.max(1000, 60_000 / this.ratePerMinute)) {
      this.ceilingPerMinute = this.ratePerMinute;
      this.ratePerMinute = Math.max(this.configuredPerMinute / 10, this.ratePerMinute * 0.7);
      this.lastDecrease = now;
    }
    this.tokens = Math.min(this.tokens, 0);
    if (retryAfterMs && retryAfterMs > 0) this.pausedUntil = Math.max(this.pausedUntil, now + retryAfterMs);
  }

  /** A success: win the rate back, quickly far below the last 429's rate, slowly near it. */
  succeeded(): void {
    if (this.ratePerMinute >= this.configuredPerMinute) return;
    this.refill();
    const step = this.ratePerMinute < 0.9 * this.ceilingPerMinute ? 0.02 : 0.005;
    this.ratePerMinute = Math.min(
      this.configuredPerMinute,
      this.ratePerMinute + this.configuredPerMinute * step,
    );
  }
}
