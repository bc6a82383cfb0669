/**
 * Incremental `messages` against the sandbox in time: a full pass on day 1; a day later an incremental run
 * reads history only for the contacts the reports point at, from the bookmark less the lookback, and gets
 * every new message of them; STATE stays small; the full pass comes back when it is due.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import type { SingerMessage } from '../../src/singer/messages.js';
import { parseState, type TapState } from '../../src/singer/state.js';
import { createLogger, silentLogger } from '../../src/log.js';
import { runSync } from '../../src/tap/sync.js';
import { configFor, DAY, dayOf, MemorySink, sync } from '../helpers.js';

const CONTACTS = 150;
let sb: Sandbox;
const asked: string[] = [];
/** Called on every first page of history asked for (a test may abort the run from there). */
let onHistory: (() => void) | undefined;
let open = -1;
let outside = -1;
let origin = 0;

beforeAll(async () => {
  sb = await startSandbox({
    world: { seed: 61, contacts: CONTACTS, reports: 260, reportDays: 200, meanMessages: 6 },
    requestsPerMinute: 0,
    onRequest: (path, query) => {
      if (path === '/v2/messages/history' && query.get('page') === '1') {
        asked.push(query.get('customer_id')!);
        onHistory?.();
      }
    },
  });
  const w = sb.world;
  origin = w.now;
  const indices = Array.from({ length: CONTACTS }, (_, i) => i);
  // An attendance opened about a week ago and still open; a contact whose activity is bot-only.
  open = indices.find((i) => {
    const r = w.openAttendanceOf(i);
    return r !== undefined && origin - Date.parse(String(r['created_at'])) > 5 * DAY;
  })!;
  outside = indices.find((i) => !w.openAttendanceOf(i) && w.timeline.kindOf(i, false) === 'outside')!;
  expect(open).toBeGreaterThanOrEqual(0);
  expect(outside).toBeGreaterThanOrEqual(0);
});
afterAll(() => sb.close());

const START = (): string => dayOf(origin - 100 * DAY);
const methods = new Map([['messages', 'INCREMENTAL' as const]]);
const messageKeys = (messages: readonly SingerMessage[]): Set<string> =>
  new Set(
    messages.flatMap((m) =>
      m.type === 'RECORD' && m.stream === 'messages' ? [String(m.record['message_key'])] : [],
    ),
  );
const lastState = (messages: readonly SingerMessage[]): TapState =>
  parseState(messages.filter((m) => m.type === 'STATE').at(-1)!.type === 'STATE' ? lastValue(messages) : {});
const lastValue = (messages: readonly SingerMessage[]): unknown =>
  (messages.filter((m) => m.type === 'STATE').at(-1) as { value: unknown }).value;

async function run(state?: TapState, extra: Record<string, unknown> = {}, signal?: AbortSignal) {
  asked.length = 0;
  const { sink, summary } = await sync(
    sb,
    { start_date: START(), end_date: dayOf(sb.world.now), private_key_jwk: sb.jwk.current, ...extra },
    {
      selected: ['messages'],
      methods,
      now: () => sb.world.now,
      ...(state ? { state } : {}),
      ...(signal ? { signal } : {}),
    },
  );
  return { sink, summary, asked: [...asked] };
}

describe('incremental messages', () => {
  it('day 1 is a full pass; day 2 reads only the contacts the reports name, and gets every new message', async () => {
    const w = sb.world;
    const day1 = await run();
    expect(day1.asked).toHaveLength(CONTACTS);
    expect(day1.sink.messages.some((m) => m.type === 'ACTIVATE_VERSION')).toBe(true);
    const state1 = lastState(day1.sink.messages);
    expect(state1.bookmarks['messages']).toMatchObject({
      replication_key: 'created_at',
      replication_key_value: new Date(origin).toISOString(),
      last_full_sync_at: new Date(origin).toISOString(),
    });
    // The full pass took the open attendances' fingerprint before reading any contact.
    expect(state1.bookmarks['messages']!.open_fingerprint).toHaveLength(128);

    w.advance(1, 0.02, [open, outside]);
    const day2 = await run(state1);
    // Merged, not replaced: no versions, no ACTIVATE_VERSION.
    expect(day2.sink.messages.some((m) => m.type === 'ACTIVATE_VERSION')).toBe(false);
    expect(day2.sink.messages.every((m) => m.type !== 'RECORD' || m.version === undefined)).toBe(true);

    // The rule: contacts with an attendance opened or closed after the last run's end (less 15 minutes of
    // clock skew); those that settled before it inside the lookback were read by the full pass, and are not
    // read again; the still-open ones only when their fingerprint bucket moved (the active open one's did).
    const since = origin - 3 * DAY;
    const cut = origin - 15 * 60_000;
    const customer = (r: Record<string, unknown>) => String((r['customer'] as { id: string }).id);
    const inLookback = w
      .reportsBetween(dayOf(since), dayOf(w.now))
      .filter(
        (r) => Date.parse(String(r['opened_at'])) >= since || Date.parse(String(r['closed_at'])) >= since,
      );
    const news = inLookback.filter(
      (r) => Date.parse(String(r['opened_at'])) >= cut || Date.parse(String(r['closed_at'])) >= cut,
    );
    const settled = inLookback.filter((r) => !news.includes(r) && r['closed'] !== false);
    const stillOpen = w
      .reports()
      .filter((r) => r['closed'] === false && Date.parse(String(r['created_at'])) >= w.now - 89 * DAY - DAY);
    const mustRead = new Set([...news.map(customer), w.contactId(open)]);
    const mayRead = new Set([...mustRead, ...stillOpen.map(customer)]);
    for (const id of mustRead) expect(day2.asked).toContain(id);
    for (const id of day2.asked) expect(mayRead.has(id), id).toBe(true);
    expect(new Set(day2.asked).size).toBe(day2.asked.length); // each once
    const skipped = settled.map(customer).filter((id) => !mayRead.has(id));
    expect(skipped.length).toBeGreaterThan(0);
    for (const id of skipped) expect(day2.asked).not.toContain(id);
    expect(day2.asked.length).toBeLessThan(CONTACTS / 2);
    const expected = mayRead;

    // Every new message of every active contact but the bot-only one, the still-open attendance's included.
    const keys = messageKeys(day2.sink.messages);
    const fresh = (i: number) => w.expectedMessages(i, { from: origin, to: w.now });
    let newMessages = 0;
    for (let i = 0; i < CONTACTS; i++) {
      if (i === outside || fresh(i).length === 0 || w.variant(i).rotatedKey) continue;
      const rows = day2.sink.records('messages').filter((r) => r['customer_id'] === w.contactId(i));
      for (const m of fresh(i))
        expect(
          rows.some((r) => r['created_at'] === m.created_at && r['content'] === m.content),
          `contact ${i}`,
        ).toBe(true);
      newMessages += fresh(i).length;
    }
    expect(fresh(open).length).toBeGreaterThan(0);
    expect(newMessages).toBeGreaterThan(0);
    expect(keys.size).toBe(day2.sink.records('messages').length);
    // History from the bookmark less the lookback, not from start_date.
    expect(day2.sink.records('messages').every((r) => Date.parse(String(r['created_at'])) >= since)).toBe(
      true,
    );
    expect(
      fresh(outside).every(
        (m) =>
          !day2.sink
            .records('messages')
            .some((r) => r['content'] === m.content && r['created_at'] === m.created_at),
      ),
    ).toBe(true);

    // STATE: the same few fields, whatever the number of contacts; the last full pass is still day 1's.
    const state2 = lastState(day2.sink.messages);
    const bookmark = state2.bookmarks['messages']!;
    expect(Object.keys(bookmark).sort()).toEqual([
      'account',
      'closed_fingerprint',
      'last_full_sync_at',
      'open_fingerprint',
      'replication_key',
      'replication_key_value',
    ]);
    expect(bookmark.closed_fingerprint!.buckets).toHaveLength(128);
    expect(bookmark.replication_key_value).toBe(new Date(w.now).toISOString());
    expect(bookmark.last_full_sync_at).toBe(new Date(origin).toISOString());
    expect(bookmark.open_fingerprint).toHaveLength(128);

    // Nothing new since: the open attendances are not read again, only what the lookback covers.
    const again = await run(state2, { lookback_days: 0 });
    expect(again.asked).toEqual([]);

    // News in the open attendance only: its contact is read again (with the few sharing its bucket, at most).
    w.advance(0.25, 0, [open]);
    const next = await run(lastState(again.sink.messages), { lookback_days: 0 });
    expect(next.asked).toContain(w.contactId(open));
    expect(next.asked.length).toBeLessThan(expected.size / 2);

    // A week after day 1 the full pass is due: every contact again, versioned, and it brings the bot-only message.
    w.advance(6, 0);
    const full = await run(lastState(next.sink.messages));
    expect(full.asked).toHaveLength(CONTACTS);
    expect(full.sink.messages.some((m) => m.type === 'ACTIVATE_VERSION')).toBe(true);
    const outsideRows = full.sink
      .records('messages')
      .filter((r) => r['customer_id'] === w.contactId(outside));
    for (const m of fresh(outside))
      expect(outsideRows.some((r) => r['created_at'] === m.created_at && r['content'] === m.content)).toBe(
        true,
      );
    expect(lastState(full.sink.messages).bookmarks['messages']!.last_full_sync_at).toBe(
      new Date(w.now).toISOString(),
    );
  });

  it('a FULL_TABLE stream read with the same requests makes the run a full pass, and says why', async () => {
    const lines: string[] = [];
    const log = createLogger((line) => void lines.push(line), 'info');
    const state: TapState = {
      bookmarks: {
        messages: {
          replication_key: 'created_at',
          replication_key_value: new Date(sb.world.now).toISOString(),
          last_full_sync_at: new Date(sb.world.now).toISOString(),
        },
      },
    };
    asked.length = 0;
    const { sink } = await sync(
      sb,
      { start_date: START(), end_date: dayOf(sb.world.now), private_key_jwk: sb.jwk.current },
      { selected: ['messages', 'messages_history'], methods, state, now: () => sb.world.now, log },
    );
    expect(asked).toHaveLength(CONTACTS);
    expect(lines.join('\n')).toMatch(/messages: full pass \(messages_history is selected and read in full/);
    // One plain WARN line with the fix.
    expect(lines.filter((l) => l.startsWith('WARN messages is set to incremental'))).toEqual([
      'WARN messages is set to incremental but every run is a full pass: messages_history is selected and can only be read in full with it; deselect messages_history to sync messages incrementally\n',
    ]);
    expect(
      sink.messages
        .filter((m) => m.type === 'ACTIVATE_VERSION')
        .map((m) => m.stream)
        .sort(),
    ).toEqual(['messages', 'messages_history']);
  });

  it('an interrupted incremental run resumes with the window it started with, and misses nothing', async () => {
    const w = sb.world;
    const full = await run(undefined, {}, undefined);
    const before = w.now;
    // Activity in attendances for a few contacts (more than the run reads before it is stopped).
    const busy = Array.from({ length: CONTACTS }, (_, i) => i)
      .filter((i) => !w.openAttendanceOf(i) && w.timeline.kindOf(i, false) === 'attendance')
      .slice(0, 8);
    w.advance(1, 0.1, busy);
    const controller = new AbortController();
    let seen = 0;
    onHistory = () => {
      if (++seen === 4) controller.abort(new Error('stopped by the test'));
    };
    const sink = new MemorySink();
    await expect(
      runSync({
        config: configFor(sb, {
          start_date: START(),
          end_date: dayOf(w.now),
          private_key_jwk: sb.jwk.current,
          partition_concurrency: 1,
        }),
        selected: ['messages'],
        sink,
        log: silentLogger,
        methods,
        state: lastState(full.sink.messages),
        now: () => w.now,
        signal: controller.signal,
      }),
    ).rejects.toThrow(/stopped by the test/);
    onHistory = undefined;
    const interrupted = lastState(sink.messages);
    const bookmark = interrupted.bookmarks['messages']!;
    expect(bookmark.run).toMatchObject({ mode: 'incremental', until: new Date(w.now).toISOString() });
    expect(bookmark.next_position).toBeGreaterThan(0);
    const until = bookmark.run!.until;

    // Later (the clock moved on), the resumed run reads the rest of the same window.
    w.advance(0.1, 0);
    const resumed = await run(interrupted);
    const rows = [...sink.records('messages'), ...resumed.sink.records('messages')];
    for (let i = 0; i < CONTACTS; i++) {
      const fresh = w.expectedMessages(i, { from: before, to: before + DAY });
      if (
        fresh.length === 0 ||
        i === outside ||
        w.timeline.kindOf(i, !!w.openAttendanceOf(i)) === 'outside' ||
        w.variant(i).rotatedKey
      )
        continue;
      for (const m of fresh)
        expect(
          rows.some((r) => r['customer_id'] === w.contactId(i) && r['created_at'] === m.created_at),
          `contact ${i}`,
        ).toBe(true);
    }
    const done = lastState(resumed.sink.messages).bookmarks['messages']!;
    expect(done.replication_key_value).toBe(until);
    expect(done.run).toBeUndefined();
    expect(done.version).toBeUndefined();
  });
});
