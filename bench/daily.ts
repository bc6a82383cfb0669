/**
 * Scenarios `daily` and `fresh` (issue: a real account synced every day). Requests are counted, not timed: at
 * the API's ~48 requests a minute a run's time is its requests ÷ 48. The tap runs in this process against the
 * sandbox in time (its clock moved forward with new activity), exactly as `conversas sync` runs it.
 */
import { silentLogger } from '../src/log.js';
import { startSandbox, type Sandbox } from '../src/sandbox/index.js';
import type { SingerMessage, SingerSink } from '../src/singer/messages.js';
import { parseState, type TapState } from '../src/singer/state.js';
import { validateConfig } from '../src/config.js';
import { estimatePlan } from '../src/tap/estimate.js';
import { runSync } from '../src/tap/sync.js';

const DAY = 86_400_000;
const API_RATE = 48;
const dayOf = (ms: number): string => new Date(ms).toISOString().slice(0, 10);
const methods = new Map([['messages', 'INCREMENTAL' as const]]);

/** Counts records and keeps the last STATE: nothing else is held (50,000 contacts of messages would not fit). */
class CountingSink implements SingerSink {
  records = 0;
  state: unknown;
  write(message: SingerMessage): void {
    if (message.type === 'RECORD') this.records += 1;
    else if (message.type === 'STATE') this.state = message.value;
  }
  async flush(): Promise<void> {}
}

export interface Bench {
  results: Record<string, Record<string, number | string>>;
  check: (scenario: string, metric: string, goal: string, ok: (v: number) => boolean) => void;
  scale: (n: number) => number;
}

export async function dailyAndFresh({ results, check, scale }: Bench): Promise<void> {
  const contacts = scale(50_000);
  const read: string[] = [];
  const sb: Sandbox = await startSandbox({
    world: { seed: 150, contacts, reports: Math.round(contacts / 10), reportDays: 200, meanMessages: 6 },
    requestsPerMinute: 0,
    onRequest: (path, query) => {
      if (path === '/v2/messages/history' && query.get('page') === '1') read.push(query.get('customer_id')!);
    },
  });
  const world = sb.world;
  const start = dayOf(world.now - 120 * DAY);
  const configAt = (extra: Record<string, unknown> = {}) =>
    validateConfig({
      access_token: sb.token,
      api_url: sb.url,
      private_key_jwk: sb.jwk.current,
      start_date: start,
      end_date: dayOf(world.now),
      requests_per_minute: 1_000_000,
      partition_concurrency: 16,
      ...extra,
    });
  const syncOnce = async (state: TapState | undefined, extra: Record<string, unknown> = {}) => {
    read.length = 0;
    const sink = new CountingSink();
    const summary = await runSync({
      config: configAt(extra),
      selected: ['messages'],
      sink,
      log: silentLogger,
      methods,
      now: () => world.now,
      ...(state ? { state } : {}),
    });
    return { requests: summary.requests, state: parseState(sink.state), read: new Set(read) };
  };
  try {
    // daily: a full pass, a day with 2% of contacts active, an incremental run.
    const full = await syncOnce(undefined);
    world.advance(1, 0.02);
    const day = world.timeline.epochs.at(-1)!;
    let active = 0;
    for (let i = 0; i < contacts; i++) if (world.timeline.isActive(day, i)) active += 1;
    const incremental = await syncOnce(full.state);
    const ratio = incremental.requests / full.requests;
    results['daily'] = {
      contacts,
      full_requests: full.requests,
      incremental_requests: incremental.requests,
      ratio,
      minutes_at_48_rpm: incremental.requests / API_RATE,
      full_hours_at_48_rpm: full.requests / API_RATE / 60,
      contacts_read: incremental.read.size,
      active_contacts: active,
      contacts_read_over_active: incremental.read.size / active,
      active_contacts_missed: missedContacts(sb, world.now - DAY, world.now, incremental.read),
    };
    check('daily', 'ratio', '≤ 0.03', (v) => v <= 0.03);
    check('daily', 'contacts_read_over_active', '≤ 1.10', (v) => v <= 1.1);
    check('daily', 'active_contacts_missed', '= 0', (v) => v === 0);
    check('daily', 'minutes_at_48_rpm', '≤ 60', (v) => v <= 60);

    // fresh: the next day, an incremental run every 15 minutes, 1,000 contacts (a fiftieth) active at random times.
    const runs = 96;
    const perEpoch = 1_000 / 50_000 / runs;
    let state = incremental.state;
    let requests = 0;
    let worst = 0;
    /** Contact index → when its oldest message not yet extracted arrived. */
    const waiting = new Map<number, number>();
    const indexOf = new Map(Array.from({ length: contacts }, (_, i) => [world.contactId(i), i]));
    for (let r = 0; r < runs; r++) {
      const from = world.now;
      world.advance(15 / 1440, perEpoch);
      const epoch = world.timeline.epochs.at(-1)!;
      for (let i = 0; i < contacts; i++) {
        if (!world.timeline.isActive(epoch, i)) continue;
        const kind = world.timeline.kindOf(i, world.openAttendanceOf(i) !== undefined);
        if (kind === 'outside') continue; // only a full pass brings these (README)
        const first = world.expectedMessages(i, { from, to: world.now }).at(-1);
        if (first && !waiting.has(i)) waiting.set(i, Date.parse(first.created_at));
      }
      // What `conversas sync` spends on its plan line, then the run.
      const estimate = await estimatePlan({
        config: configAt({ lookback_days: 0.02 }),
        selected: ['messages'],
        state,
        methods,
        full: false,
        now: world.now,
        nextOnly: true,
      });
      const run = await syncOnce(state, { lookback_days: 0.02 });
      state = run.state;
      requests += estimate.spent + run.requests;
      const done = world.now + ((estimate.spent + run.requests) / API_RATE) * 60_000;
      for (const id of run.read) {
        const i = indexOf.get(id)!;
        const since = waiting.get(i);
        if (since === undefined) continue;
        worst = Math.max(worst, done - since);
        waiting.delete(i);
      }
    }
    results['fresh'] = {
      runs,
      requests,
      budget_share: requests / (API_RATE * 1440),
      max_staleness_minutes: worst / 60_000,
      contacts_never_read: waiting.size,
    };
    check('fresh', 'budget_share', '≤ 0.10', (v) => v <= 0.1);
    check('fresh', 'max_staleness_minutes', '≤ 20', (v) => v <= 20);
    check('fresh', 'contacts_never_read', '= 0', (v) => v === 0);
  } finally {
    await sb.close();
  }
}

/** Contacts with new messages inside an attendance in the window that the run did not read (should be 0). */
function missedContacts(sb: Sandbox, from: number, to: number, read: Set<string>): number {
  const world = sb.world;
  let missed = 0;
  for (let i = 0; i < world.options.contacts; i++) {
    const kind = world.timeline.kindOf(i, world.openAttendanceOf(i) !== undefined);
    if (kind === 'outside' || world.expectedMessages(i, { from, to }).length === 0) continue;
    if (!read.has(world.contactId(i))) missed += 1;
  }
  return missed;
}
