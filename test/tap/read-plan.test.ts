/** src/tap/read-plan.ts: the one function that decides what a run reads and writes (pure: no request). */
import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config.js';
import type { StreamBookmark, TapState } from '../../src/singer/state.js';
import { streamByName } from '../../src/streams/index.js';
import type { StreamDefinition } from '../../src/streams/define.js';
import { describePlan, planRun, type PlanInput } from '../../src/tap/read-plan.js';

const DAY = 86_400_000;
const NOW = Date.parse('2026-12-02T10:00:00Z');
const ACCOUNT = 'https://api.example#company=c1';
const iso = (ms: number) => new Date(ms).toISOString();
const streams = (...names: string[]): StreamDefinition[] => names.map((n) => streamByName(n)!);
const config = (extra: Record<string, unknown> = {}) =>
  validateConfig({ access_token: 't', start_date: '2026-01-01', end_date: '2026-12-02', ...extra });
const bookmark = (extra: Partial<StreamBookmark> = {}): StreamBookmark => ({
  replication_key: 'created_at',
  replication_key_value: iso(NOW - DAY),
  last_full_sync_at: iso(NOW - 3 * DAY),
  account: ACCOUNT,
  ...extra,
});
const plan = (o: Partial<PlanInput> & { state?: TapState } = {}) =>
  planRun({
    streams: streams('messages', 'reports'),
    methods: new Map([
      ['messages', 'INCREMENTAL'],
      ['reports', 'INCREMENTAL'],
    ]),
    state: { bookmarks: {} },
    config: config(),
    account: ACCOUNT,
    now: NOW,
    ...o,
  });
const streamPlan = (p: ReturnType<typeof plan>, name: string) =>
  p.streams.find((s) => s.stream.name === name)!;
const readPlan = (p: ReturnType<typeof plan>, name: string) => p.reads.find((r) => r.read.name === name)!;

describe('the read plan', () => {
  it('a first run is a full pass of every day configured; its bookmark is the window end, its last full pass too', () => {
    const p = plan();
    const messages = streamPlan(p, 'messages');
    expect(messages).toMatchObject({ mode: 'full', reason: 'full pass (no earlier run)', resume: false });
    expect(messages.window).toEqual({ mode: 'full', until: iso(NOW) });
    expect(messages.bookmark).toEqual({
      replication_key: 'created_at',
      replication_key_value: iso(NOW),
      last_full_sync_at: iso(NOW),
      account: ACCOUNT,
    });
    const history = readPlan(p, 'messages_history');
    expect(history).toMatchObject({ mode: 'full', partitions: 'parent' });
    expect(history.days).toEqual({ startDay: '2026-01-01', endDay: '2026-12-02' });
    // The parent is read for the child's keys, writing nothing.
    expect(readPlan(p, 'contacts').writes).toEqual([]);
  });

  it('with a bookmark: incremental from the bookmark less the lookback, as days from that one; the last full pass kept', () => {
    const p = plan({ state: { bookmarks: { messages: bookmark(), reports: bookmark() } } });
    const since = NOW - DAY - 3 * DAY;
    const messages = streamPlan(p, 'messages');
    expect(messages.mode).toBe('incremental');
    expect(messages.reason).toBe(`incremental from ${iso(since)} (the last run's end less lookback_days 3)`);
    expect(messages.window).toEqual({ mode: 'incremental', since: iso(since), until: iso(NOW) });
    expect(messages.bookmark?.last_full_sync_at).toBe(iso(NOW - 3 * DAY));
    const history = readPlan(p, 'messages_history');
    expect(history).toMatchObject({ mode: 'incremental', partitions: 'changes', since });
    // What the changes need: the last run's end less 15 minutes of skew; the next run's span to check.
    expect(history.changes).toEqual({
      until: NOW,
      lastCut: NOW - DAY - 15 * 60_000,
      lastWasFull: false,
      next: { from: NOW - 3 * DAY, to: NOW - 15 * 60_000 },
    });
    expect(history.days).toEqual({ startDay: '2026-11-28', endDay: '2026-12-02' });
    expect(readPlan(p, 'reports').days).toEqual({ startDay: '2026-11-28', endDay: '2026-12-02' });
    expect(p.warnings).toEqual([]);
    // Never before start_date; never past the end of end_date.
    const late = plan({
      state: { bookmarks: { messages: bookmark() } },
      config: config({ start_date: '2026-11-30', end_date: '2026-11-30' }),
    });
    expect(streamPlan(late, 'messages').window).toEqual({
      mode: 'incremental',
      since: '2026-11-30T00:00:00.000Z',
      until: '2026-12-01T00:00:00.000Z',
    });
  });

  it('says why a run is a full pass: asked, due, another account, a date in the future', () => {
    const due = plan({
      state: { bookmarks: { messages: bookmark({ last_full_sync_at: iso(NOW - 8 * DAY) }) } },
    });
    expect(streamPlan(due, 'messages').reason).toBe(
      'full pass (the last one was 8 day(s) ago (full_sync_every_days is 7))',
    );
    const asked = plan({ state: { bookmarks: { messages: bookmark() } }, force: 'full' });
    expect(streamPlan(asked, 'messages').reason).toBe('full pass (asked for)');
    const other = plan({ state: { bookmarks: { messages: bookmark({ account: 'https://x#company=c2' }) } } });
    expect(streamPlan(other, 'messages').reason).toBe(
      'full pass (its bookmark is of another account or api_url)',
    );
    const future = plan({
      state: { bookmarks: { messages: bookmark({ replication_key_value: '2099-01-01T00:00:00.000Z' }) } },
    });
    expect(streamPlan(future, 'messages').reason).toMatch(
      /^full pass \(its bookmark \(2099-01-01T00:00:00.000Z\) is in the future/,
    );
    const lastFuture = plan({
      state: { bookmarks: { messages: bookmark({ last_full_sync_at: iso(NOW + DAY) }) } },
    });
    expect(streamPlan(lastFuture, 'messages').mode).toBe('full');
    // A few minutes ahead is only clocks that disagree.
    const skew = plan({
      state: { bookmarks: { messages: bookmark({ replication_key_value: iso(NOW + 60_000) }) } },
    });
    expect(streamPlan(skew, 'messages').mode).toBe('incremental');
  });

  it('a FULL_TABLE stream read with the same requests makes the read a full pass, with one warning and its fix', () => {
    const p = plan({
      streams: streams('messages', 'messages_history'),
      state: { bookmarks: { messages: bookmark() } },
    });
    expect(streamPlan(p, 'messages').reason).toBe(
      'full pass (messages_history is selected and read in full)',
    );
    expect(readPlan(p, 'messages_history').mode).toBe('full');
    expect(p.warnings).toEqual([
      'messages is set to incremental but every run is a full pass: messages_history is selected and can only be read in full with it; deselect messages_history to sync messages incrementally',
    ]);
    expect(describePlan(p)).toEqual([
      'messages: full pass (messages_history is selected and read in full)',
      'messages_history: full table (full_table only)',
    ]);
  });

  it('resumes the interrupted run with its window; a stream whole in it waits with its next bookmark', () => {
    const run = { mode: 'incremental' as const, since: iso(NOW - 5 * DAY), until: iso(NOW - DAY) };
    const next = { replication_key: 'created_at', replication_key_value: iso(NOW - DAY), account: ACCOUNT };
    const p = plan({
      state: {
        bookmarks: {
          messages: bookmark({ version: 7, run, next_position: 3 }),
          reports: bookmark({ version: 7, run, done: true, next }),
        },
      },
    });
    expect(streamPlan(p, 'messages')).toMatchObject({ resume: true, whole: false, window: run });
    expect(streamPlan(p, 'messages').bookmark?.replication_key_value).toBe(iso(NOW - DAY));
    expect(streamPlan(p, 'reports')).toMatchObject({ resume: true, whole: true, bookmark: next });
    expect(readPlan(p, 'reports').writes).toEqual([]);
    expect(readPlan(p, 'messages_history')).toMatchObject({ since: NOW - 5 * DAY });
  });

  it('a mode switched since the interruption starts the stream over, and says so', () => {
    const run = { mode: 'incremental' as const, since: iso(NOW - 5 * DAY), until: iso(NOW - DAY) };
    const toFull = plan({
      methods: new Map([['reports', 'FULL_TABLE']]),
      streams: streams('reports'),
      state: { bookmarks: { reports: bookmark({ version: 7, run }) } },
    });
    expect(streamPlan(toFull, 'reports')).toMatchObject({
      mode: 'full',
      resume: false,
      reason: 'the sync mode changed since the interrupted run; full table (set to full_table)',
    });
    const toIncremental = plan({
      streams: streams('reports'),
      state: { bookmarks: { reports: bookmark({ version: 7 }) } },
    });
    expect(streamPlan(toIncremental, 'reports')).toMatchObject({ mode: 'incremental', resume: false });
    expect(streamPlan(toIncremental, 'reports').reason).toMatch(
      /^the sync mode changed since the interrupted run; /,
    );
  });

  it('as an estimate of an incremental run without a bookmark: the lookback before now', () => {
    const p = plan({ force: 'incremental' });
    expect(streamPlan(p, 'messages').window).toEqual({
      mode: 'incremental',
      since: iso(NOW - 3 * DAY),
      until: iso(NOW),
    });
  });
});

describe('day windows', () => {
  it("reports read the plan's days; the open ones the last 89, not before start_date", () => {
    const reports = streamByName('reports')!;
    const history = streamByName('messages_history')!;
    const days = { startDay: '2026-11-28', endDay: '2026-12-02' };
    if (!('window' in reports) || !reports.window) throw new Error('reports has a window');
    expect(reports.window(days, config())).toEqual(days);
    if (!('query' in history) || !history.query) throw new Error('history has a query');
    expect(history.query(config(), days)).toMatchObject({ start_date: '2026-11-28', end_date: '2026-12-02' });
    const changes = 'changes' in history ? history.changes : undefined;
    const open = changes?.open;
    expect(open?.window?.(days, config({ start_date: '2026-01-01' }))).toEqual({
      startDay: '2026-09-04',
      endDay: '2026-12-02',
    });
    expect(open?.window?.(days, config({ start_date: '2026-11-01' }))).toEqual({
      startDay: '2026-11-01',
      endDay: '2026-12-02',
    });
  });
});
