/**
 * src/tap/changes.ts: which partitions an incremental run reads, from its plan and two fixed-size fingerprints
 * (pure logic over listings given here; no HTTP).
 */
import { describe, expect, it } from 'vitest';
import type { PageResult } from '../../src/http/paging.js';
import type { Replication } from '../../src/singer/state.js';
import type { ChangedPartitions, Record_, RootStream } from '../../src/streams/define.js';
import { ChangedPartitionPages, FINGERPRINT_BUCKETS } from '../../src/tap/changes.js';
import type { ReadPlan } from '../../src/tap/read-plan.js';
import type { StreamReader } from '../../src/tap/reader.js';

const DAY = 86_400_000;
const MIN = 60_000;
const T0 = Date.parse('2026-12-01T00:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString();

interface Attendance {
  id: string;
  contact: string;
  opened: number;
  closed?: number;
  messages: number;
}
const attendance = (id: string, opened: number, closed?: number, messages = 2): Attendance => ({
  id,
  contact: `c-${id}`,
  opened,
  ...(closed !== undefined ? { closed } : {}),
  messages,
});

const recent = { name: 'recent' } as RootStream;
const openListing = { name: 'open' } as RootStream;
const changes: ChangedPartitions = {
  recent,
  open: openListing,
  touchedSince: (r, since) => Number(r['opened']) >= since || Number(r['closed'] ?? -1) >= since,
  openedAt: (r) => Number(r['opened']),
  settledAt: (r) => (r['closed'] === undefined ? undefined : Number(r['closed'])),
  fingerprint: (r) => ({ id: String(r['id']), value: 1 + Number(r['messages']) }),
  key: (r) => String(r['contact']),
};

/** A reader of the two listings as the API would answer them now. */
function readerOf(all: Attendance[]): StreamReader {
  return {
    async *pages(stream: RootStream): AsyncGenerator<PageResult> {
      const records = (stream === recent
        ? all
        : all.filter((a) => a.closed === undefined)) as unknown as Record_[];
      yield { records, count: records.length };
    },
  } as unknown as StreamReader;
}

/** The contacts a run reads, and what it leaves for the next. */
async function run(all: Attendance[], until: number, previous: Replication | undefined, lookbackDays = 1) {
  const since = Date.parse(previous?.replication_key_value ?? iso(until)) - lookbackDays * DAY;
  const plan = {
    read: recent,
    writes: [{ window: { mode: 'incremental', since: iso(since), until: iso(until) } }],
    mode: 'incremental',
    days: { startDay: iso(since).slice(0, 10), endDay: iso(until).slice(0, 10) },
    since,
    partitions: 'changes',
    previous,
    // As the read plan says (test/tap/read-plan.test.ts): 15 minutes of clock skew.
    changes: {
      until,
      lastCut: previous?.replication_key_value
        ? Date.parse(previous.replication_key_value) - 15 * MIN
        : undefined,
      lastWasFull: previous?.last_full_sync_at === previous?.replication_key_value,
      next: { from: until - lookbackDays * DAY, to: until - 15 * MIN },
    },
  } as unknown as ReadPlan;
  const pages = new ChangedPartitionPages(readerOf(all), changes, plan);
  const read: string[] = [];
  for await (const page of pages.pages()) read.push(...page.records.map((r) => String(r['contact'])));
  const next: Replication = {
    replication_key_value: iso(until),
    last_full_sync_at: previous?.last_full_sync_at ?? iso(T0),
    ...pages.found.fingerprints,
  };
  return { read: read.sort(), found: pages.found, next };
}

describe('changed partitions', () => {
  it('after a full pass: what settled before its end is not read again; what moved since, and open news, are', async () => {
    const all = [
      attendance('a', T0 - 10 * 60 * MIN, T0 - 5 * 60 * MIN), // closed hours before the full pass
      attendance('b', T0 - 60 * MIN, T0 + 60 * MIN), // closed after it
      attendance('c', T0 + 2 * 60 * MIN, T0 + 3 * 60 * MIN), // opened and closed after it
      attendance('d', T0 - 5 * MIN, T0 - 2 * MIN), // closed within the clock-skew margin
      attendance('o', T0 - 3 * DAY), // still open since before: news only through the open fingerprint
    ];
    const full: Replication = { replication_key_value: iso(T0), last_full_sync_at: iso(T0) };
    const first = await run(all, T0 + DAY, full);
    // No open fingerprint from the full pass here: every open attendance is read.
    expect(first.read).toEqual(['c-b', 'c-c', 'c-d', 'c-o']);
    expect(first.found.settledUnchanged).toBe(1);
    expect(first.next.open_fingerprint).toHaveLength(FINGERPRINT_BUCKETS);
    expect(first.next.closed_fingerprint!.buckets).toHaveLength(FINGERPRINT_BUCKETS);

    // The open one unchanged: not read; once it grows, its bucket moves and it is.
    const quiet = await run(all, T0 + DAY + 60 * MIN, first.next, 0);
    expect(quiet.read).toEqual([]);
    all[4]!.messages += 3;
    const grown = await run(all, T0 + DAY + 2 * 60 * MIN, quiet.next, 0);
    expect(grown.read).toEqual(['c-o']);
  });

  it('after an incremental run: a report that showed up late, or whose counters moved, moves its bucket and is read', async () => {
    const until1 = T0 + DAY;
    const all = [
      attendance('a', T0 + 2 * 60 * MIN, T0 + 4 * 60 * MIN),
      attendance('b', T0 + 5 * 60 * MIN, T0 + 6 * 60 * MIN),
    ];
    const full: Replication = { replication_key_value: iso(T0), last_full_sync_at: iso(T0) };
    const first = await run(all, until1, full);
    expect(first.read).toEqual(['c-a', 'c-b']);
    // What the next run checks: the attendances settled in [until − lookback, until − 15 min).
    expect(first.next.closed_fingerprint).toMatchObject({
      from: iso(until1 - DAY),
      to: iso(until1 - 15 * MIN),
    });

    // The next day, nothing new: both settled before the last run's end and its fingerprint says it saw them.
    const second = await run(all, until1 + DAY, first.next);
    expect(second.read).toEqual([]);
    expect(second.found.settledUnchanged).toBe(2);

    // A report of that day the last run never saw (it showed up late in the listing): read, with at most
    // the few sharing its bucket.
    const late = [...all, attendance('z', T0 + 7 * 60 * MIN, T0 + 8 * 60 * MIN)];
    const third = await run(late, until1 + DAY, first.next);
    expect(third.read).toContain('c-z');
    expect(third.found.settledMoved).toBeGreaterThanOrEqual(1);
  });
});
