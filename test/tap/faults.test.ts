/** Every fault mode of the sandbox ends in complete data, or a clear error that names the endpoint. */
import { describe, expect, it } from 'vitest';
import { ApiError } from '../../src/errors.js';
import { startSandbox, type FaultOptions, type SandboxOptions } from '../../src/sandbox/index.js';
import { DAY, dayOf, expectComplete, sync } from '../helpers.js';

async function withSandbox<T>(
  options: SandboxOptions,
  fn: (sb: Awaited<ReturnType<typeof startSandbox>>) => Promise<T>,
): Promise<T> {
  const sb = await startSandbox({
    requestsPerMinute: 0,
    ...options,
    world: { seed: 21, contacts: 70, reports: 150, ...options.world },
  });
  try {
    return await fn(sb);
  } finally {
    await sb.close();
  }
}

const completeUnder = (
  faults: FaultOptions,
  extra: Record<string, unknown> = {},
  options: SandboxOptions = {},
) =>
  withSandbox({ faults, faultSeed: 9, ...options }, async (sb) => {
    const start = dayOf(sb.world.now - 80 * DAY);
    const end = dayOf(sb.world.now - DAY);
    const { sink, summary } = await sync(sb, {
      start_date: start,
      end_date: end,
      private_key_jwk: sb.jwk.current,
      ...extra,
    });
    expectComplete(sb, sink, start, end);
    return { sb, summary };
  });

describe('faults that retries absorb', () => {
  it('a storm of 429s', async () => {
    const { sb, summary } = await completeUnder({ rateLimitStorm: { from: 5, count: 8 } });
    expect(sb.counters.faults.storm).toBe(8);
    expect(summary.throttles).toBe(8);
  });

  it('the token bucket (a budget lower than configured), with Retry-After honoured', async () => {
    const { sb, summary } = await completeUnder(
      {},
      { requests_per_minute: 6000 },
      { requestsPerMinute: 3000, burst: 5, retryAfterSeconds: 0.05 },
    );
    expect(sb.counters.rateLimited).toBeGreaterThan(0);
    expect(summary.throttles).toBe(sb.counters.rateLimited);
  });

  it('a server allowing a hundredth of the configured budget: the limiter goes down to it and stays', async () => {
    await withSandbox(
      { requestsPerMinute: 6000, burst: 10, world: { contacts: 700, reports: 40 } },
      async (sb) => {
        const start = dayOf(sb.world.now - 30 * DAY);
        // The share of 429s once the first half of the requests is behind (the limiter has converged).
        let atHalf: { total: number; limited: number } | undefined;
        const watch = setInterval(() => {
          if (!atHalf && sb.counters.total - sb.counters.rateLimited >= 350)
            atHalf = { total: sb.counters.total, limited: sb.counters.rateLimited };
        }, 5);
        try {
          const { sink } = await sync(sb, { start_date: start, requests_per_minute: 600_000 });
          expectComplete(sb, sink, start, dayOf(sb.world.now - DAY), false);
        } finally {
          clearInterval(watch);
        }
        expect(atHalf).toBeDefined();
        const secondHalf = {
          total: sb.counters.total - atHalf!.total,
          limited: sb.counters.rateLimited - atHalf!.limited,
        };
        expect(secondHalf.total).toBeGreaterThan(250);
        expect(secondHalf.limited / secondHalf.total).toBeLessThan(0.1);
      },
    );
  });

  it('bursts of 5xx HTML pages', async () => {
    const { sb } = await completeUnder({ serverErrors: 0.15 });
    expect(sb.counters.faults.serverError).toBeGreaterThan(5);
  });

  it('connection resets', async () => {
    const { sb } = await completeUnder({ resets: 0.1 });
    expect(sb.counters.faults.reset).toBeGreaterThan(3);
  });

  it('truncated JSON bodies', async () => {
    const { sb } = await completeUnder({ truncated: 0.1 });
    expect(sb.counters.faults.truncated).toBeGreaterThan(3);
  });

  it('slow answers past the request timeout', async () => {
    const { sb } = await completeUnder({ slow: { share: 0.05, ms: 1500 } }, { request_timeout_seconds: 0.4 });
    expect(sb.counters.faults.slow).toBeGreaterThan(2);
  });

  it('everything at once', async () => {
    await completeUnder({
      serverErrors: 0.05,
      resets: 0.05,
      truncated: 0.05,
      rateLimitStorm: { from: 30, count: 10 },
    });
  });
});

describe('faults that must end in a clear error, not a loop or silent loss', () => {
  const failure = async (promise: Promise<unknown>): Promise<ApiError> => {
    const error = await promise.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ApiError);
    return error as ApiError;
  };

  it('contacts that repeat the same page', () =>
    withSandbox({ world: { contacts: 250 }, faults: { repeatPages: true } }, async (sb) => {
      const error = await failure(sync(sb, {}, { selected: ['contacts'] }));
      expect(error.message).toMatch(/GET \/v2\/customers .*same content as page 1.*ignore `page`/);
    }));

  it('history that repeats the same page (with a key)', () =>
    withSandbox({ faults: { repeatPages: true, paths: ['/v2/messages/history'] } }, async (sb) => {
      const error = await failure(
        sync(
          sb,
          { start_date: '2000-01-01', private_key_jwk: sb.jwk.current },
          { selected: ['messages_history'] },
        ),
      );
      expect(error.message).toMatch(
        /GET \/v2\/messages\/history \(customer_id=[0-9a-f]{24}\).*page 2.*ignore `page`/,
      );
    }));

  it('history that repeats the same page (no key: bounded by max_history_pages)', () =>
    withSandbox({ faults: { repeatPages: true, paths: ['/v2/messages/history'] } }, async (sb) => {
      const error = await failure(
        sync(sb, { start_date: '2000-01-01', max_history_pages: 20 }, { selected: ['messages_history'] }),
      );
      expect(error.message).toMatch(/GET \/v2\/messages\/history .*more than 20 pages/);
      expect(sb.count('/v2/messages/history')).toBeLessThan(20 * 8 + 70);
    }));

  it('reports that repeat the same page', () =>
    withSandbox(
      { world: { reports: 400 }, faults: { repeatPages: true, paths: ['/v4/reports'] } },
      async (sb) => {
        const error = await failure(
          sync(sb, { start_date: dayOf(sb.world.now - 150 * DAY) }, { selected: ['reports'] }),
        );
        expect(error.message).toMatch(/GET \/v4\/reports window .* answered page 2/);
      },
    ));

  it('a token revoked mid-sync: 401, not retried', () =>
    withSandbox({}, async (sb) => {
      const run = sync(sb, { start_date: '2000-01-01' }, { selected: ['contacts', 'messages_history'] });
      setTimeout(() => (sb.control.tokenRevoked = true), 30);
      const error = await failure(run);
      expect(error.status).toBe(401);
      expect(sb.count('/v2/messages/history', 401) + sb.count('/v2/customers', 401)).toBeLessThanOrEqual(8);
    }));
});
