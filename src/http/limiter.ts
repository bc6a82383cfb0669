/**
 * One limiter for every request of a run: a token bucket at the configured budget with a small
 * burst, made adaptive the way TCP is: a 429 cuts the rate (deeper when most requests are refused) and pauses
 * everyone; time without 429s wins the rate back slowly, and more slowly still near the rate at which the last
 * 429 came. So a budget lower than
 * configured, or shared with another tool, is found and then respected.
 */
export interface LimiterOptions {
  requestsPerMinute: number;
  burst?: number;
  now?: () => number;
}

/** The slowest the limiter goes: a server that allows less is not one a sync can finish against. */
const MIN_PER_MINUTE = 1;

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

/** What a request waits on: a RateLimiter here, or one a service keeps for several processes (runs/budget-broker.ts). */
export interface Limiter {
  /** Resolves when a request may go. */
  acquire(signal?: AbortSignal): Promise<void>;
  /** The server answered 429 (with its Retry-After, if any). */
  throttled(retryAfterMs?: number): void;
  succeeded(): void;
  /** 429s seen. */
  readonly throttles: number;
}

export class RateLimiter implements Limiter {
  readonly configuredPerMinute: number;
  private ratePerMinute: number;
  private ceilingPerMinute: number;
  private readonly burst: number;
  private tokens: number;
  private lastRefill: number;
  private pausedUntil = 0;
  private lastDecrease = -Infinity;
  private lastIncrease = -Infinity;
  private queue: Promise<void> = Promise.resolve();
  /** Answers since the last cut: how much of what we sent the server let through. */
  private sinceCut = { ok: 0, limited: 0, from: NaN };
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
    if (Number.isNaN(this.sinceCut.from)) this.sinceCut.from = this.now();
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
   * goes as low as the server needs, however far below the configured budget (down to one request a minute).
   */
  throttled(retryAfterMs?: number): void {
    this.throttles += 1;
    this.sinceCut.limited += 1;
    this.refill();
    const now = this.now();
    if (now - this.lastDecrease > Math.max(1000, 60_000 / this.ratePerMinute)) {
      // Cut by 20%, or deeper when most of what went since the last cut was refused (a server far below
      // the budget is reached in a few steps, not dozens).
      // The cut applies to what was really sent, which concurrency and latency may keep far below the rate.
      const { ok, limited, from } = this.sinceCut;
      const share = ok + limited >= 5 ? ok / (ok + limited) : 1;
      const factor = Math.min(0.8, Math.max(0.1, share * 1.1));
      const elapsed = now - from;
      const sent = elapsed >= 1000 ? ((ok + limited) * 60_000) / elapsed : Infinity;
      this.ceilingPerMinute = Math.min(this.ratePerMinute, sent);
      this.ratePerMinute = Math.max(MIN_PER_MINUTE, this.ceilingPerMinute * factor);
      this.lastDecrease = now;
      this.sinceCut = { ok: 0, limited: 0, from: now };
    }
    this.tokens = Math.min(this.tokens, 0);
    if (retryAfterMs && retryAfterMs > 0) this.pausedUntil = Math.max(this.pausedUntil, now + retryAfterMs);
  }

  /**
   * A success: win the rate back with time, not per request (per request, a fast server would undo a cut in
   * a fraction of a second): doubling every 5 s while far below the last 429's rate, then 10% a minute near
   * it, so a shared or lower budget is approached slowly and seldom overrun.
   */
  succeeded(): void {
    this.sinceCut.ok += 1;
    const now = this.now();
    const elapsed = Math.min(2000, now - Math.max(this.lastIncrease, this.lastDecrease));
    this.lastIncrease = now;
    if (this.ratePerMinute >= this.configuredPerMinute || !(elapsed > 0)) return;
    this.refill();
    const growth =
      this.ratePerMinute < 0.5 * this.ceilingPerMinute ? 2 ** (elapsed / 5000) : 1 + (0.1 * elapsed) / 60_000;
    this.ratePerMinute = Math.min(this.configuredPerMinute, this.ratePerMinute * growth);
  }
}
