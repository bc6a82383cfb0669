/** src/http/limiter.ts: the adaptive (AIMD) limiter. */
import { describe, expect, it } from 'vitest';
import { RateLimiter } from '../../src/http/limiter.js';

/** Lets every pending promise callback run (a check that something has NOT happened yet). */
const settle = () => new Promise((r) => setImmediate(r));

describe('rate limiter (AIMD)', () => {
  it('cuts the rate once per congestion event, as far down as the server needs, and wins it back with time', () => {
    let now = 0;
    const limiter = new RateLimiter({ requestsPerMinute: 6000, burst: 1, now: () => now });
    limiter.throttled();
    expect(limiter.currentPerMinute).toBeCloseTo(4800);
    limiter.throttled(); // same event
    expect(limiter.currentPerMinute).toBeCloseTo(4800);
    // A server that refuses nearly everything: each event cuts deeper than 20%.
    for (let event = 0; event < 3; event++) {
      now += 2000;
      for (let i = 0; i < 10; i++) limiter.throttled();
    }
    expect(limiter.currentPerMinute).toBeLessThan(48);
    expect(limiter.currentPerMinute).toBeGreaterThan(1);
    // Successes do not throw it back into 429s: the rate grows with time, not per request.
    limiter.succeeded();
    const low = limiter.currentPerMinute;
    for (let i = 0; i < 100; i++) limiter.succeeded();
    expect(limiter.currentPerMinute).toBe(low);
    // Quickly back to half the rate of the last 429 (48/min here), then slowly (10% a minute).
    for (let i = 0; i < 60; i++) {
      now += 1000;
      limiter.succeeded();
    }
    expect(limiter.currentPerMinute).toBeGreaterThan(24);
    expect(limiter.currentPerMinute).toBeLessThan(24 * 1.15);
    for (let i = 0; i < 4 * 3600; i++) {
      now += 1000;
      limiter.succeeded();
    }
    expect(limiter.currentPerMinute).toBe(6000);
    for (let i = 0; i < 100; i++) {
      now += 120_000;
      for (let j = 0; j < 10; j++) limiter.throttled();
    }
    expect(limiter.currentPerMinute).toBe(1);
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
