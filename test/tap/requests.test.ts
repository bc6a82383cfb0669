/** The fewest requests that get everything, counted by the sandbox; the same records at any concurrency. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addDays } from '../../src/dates.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { DAY, dayOf, expectComplete, sync } from '../helpers.js';
import { dayWindow } from '../oracle.js';

let sb: Sandbox;
let start: string;
let end: string;

beforeAll(async () => {
  sb = await startSandbox({
    world: { seed: 77, contacts: 300, reports: 500, reportDays: 200 },
    requestsPerMinute: 0,
  });
  start = dayOf(sb.world.now - 190 * DAY);
  end = dayOf(sb.world.now - DAY);
});
afterAll(() => sb.close());

/** What any client needs at least, given what each answer says (no totals for history). */
function minimumRequests(withKey: boolean): Record<string, number> {
  const window = dayWindow(start, end);
  let history = 0;
  for (let i = 0; i < 300; i++) {
    const n = sb.world.expectedMessages(i, window).length;
    // With a key a short page ends a contact; without one only an empty page can (or a rotated-key page).
    const decryptable = withKey && !sb.world.variant(i).rotatedKey;
    history += decryptable ? Math.floor(n / 100) + 1 : Math.ceil(n / 100) + 1;
  }
  let reports = 0;
  for (let from = start; from <= end; from = addDays(from, 90)) {
    const to = addDays(from, 89) < end ? addDays(from, 89) : end;
    reports += Math.max(1, Math.ceil(sb.world.reportsBetween(from, to).length / 49));
  }
  return {
    '/v2/customers': 3,
    '/v2/messages/history': history,
    '/v4/reports': reports,
    '/v2/flows': 1,
    '/v2/wallets': 1,
  };
}

describe('request counts', () => {
  it('with a key: exactly the minimum per endpoint, nothing repeated', async () => {
    sb.resetCounters();
    const { sink } = await sync(sb, { start_date: start, end_date: end, private_key_jwk: sb.jwk.current });
    expectComplete(sb, sink, start, end);
    const minimum = minimumRequests(true);
    for (const [path, n] of Object.entries(minimum)) expect(sb.count(path), path).toBe(n);
    expect(sb.counters.total).toBe(
      minimum['/v2/customers']! + minimum['/v2/messages/history']! + minimum['/v4/reports']! + 8,
    );
    expect(sb.count('/v4/reports')).toBeGreaterThan(3);
  });

  it('without a key: one empty page per contact more, nothing else', async () => {
    sb.resetCounters();
    await sync(sb, { start_date: start, end_date: end }, { selected: ['messages_history'] });
    expect(sb.count('/v2/messages/history')).toBe(minimumRequests(false)['/v2/messages/history']);
    expect(sb.count('/v2/customers')).toBe(3);
    expect(sb.counters.total).toBe(3 + minimumRequests(false)['/v2/messages/history']!);
  });

  it('contacts at exactly a page boundary need no probe for an empty page', async () => {
    const round = await startSandbox({ world: { seed: 2, contacts: 200 }, requestsPerMinute: 0 });
    try {
      await sync(round, {}, { selected: ['contacts'] });
      expect(round.count('/v2/customers')).toBe(2);
    } finally {
      await round.close();
    }
  });
});

describe('concurrency', () => {
  const comparable = (records: Record<string, unknown>[]): string[] =>
    records.map((r) => JSON.stringify({ ...r, data: r['encrypted'] ? 'jwe' : r['data'] })).sort();

  it('gives the same records at concurrency 1 and 8', async () => {
    const config = { start_date: start, end_date: end, private_key_jwk: sb.jwk.current };
    const one = await sync(sb, { ...config, partition_concurrency: 1 });
    const eight = await sync(sb, { ...config, partition_concurrency: 8 });
    for (const stream of ['contacts', 'messages_history', 'reports', 'flows']) {
      expect(comparable(eight.sink.records(stream)), stream).toEqual(comparable(one.sink.records(stream)));
    }
    expect(eight.summary.requests).toBe(one.summary.requests);
  });
});
