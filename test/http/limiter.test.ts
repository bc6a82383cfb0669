/** src/http/limiter.ts: the adaptive (AIMD) limiter. */
import { describe, expect, it } from 'vitest';
import { RateLimiter } from '../../src/http/limiter.js';

/** Lets every pending promise callback run (a check that something has NOT happened yet). */
const settle = () => new Promise((r) => setImmediate(r));

describe('rate limiter (AIMD)', () => {
  it('cuts the rate once per congestion event, never below a tenth, and wins it back', () => {
    let now = 0;
    const limiter = new RateLimiter({ requestsPerMinute: 60, burst: 1, now: () => now });
    limiter.throttled();
    expect(limiter.currentPerMinute).toBeCloseTo(42);
    limiter.throttled(); // same event
    expect(limiter.currentPerMinute).toBeCloseTo(42);
    for (let i = 0; i < 20; i++) {
      now += 2000;
      limiter.throttled();
    }
    expect(limiter.currentPerMinute).toBe(6);
    for (let i = 0; i < 500; i++) limiter.succeeded();
    expect(limiter.currentPerMinute).toBe(60);
  });

  it('paces requests at the configured rate after the burst', async () => {
    let now = 0;
    const limiter = new RateLimiter({ requestsPerMinute: 600_000, burst: 2, now: () => now });
    await limiter.acquire();
    await limiter.acquire();
    let third = false;
    const pending = limiter.acquire().then(() => (third = true));
    await settle();
    expect(third).toBe(false);
    now += 1000;
    await pending;
    expect(third).toBe(true);
  });
});
