/**
 * The seeded world behind the sandbox. Nothing big is stored: a contact, its messages and its variant are
 * pure functions of (seed, index), generated when asked, so 100,000 contacts and millions of messages cost
 * no memory. Reports and the small metadata lists are generated once.
 *
 * The world is also the ground truth: it says what a complete extraction must contain.
 */
import { Account } from './account.js';
import type { EnvelopeSet } from './quirks.js';
import { makeContact } from './contact.js';
import { CHANNELS, messageContent, SENT_BY, TYPES } from './messages.js';
import { epochReports, makeReports, withActivity, type EpochReports } from './reports.js';
import { Timeline } from './timeline.js';
import { Rng, hash32 } from './random.js';

export interface WorldOptions {
  seed: number;
  contacts: number;
  /** Average messages per contact (before the heavy contacts are added). */
  meanMessages: number;
  /** Every Nth contact has more than one page (100+) of history; 0 disables. */
  heavyEvery: number;
  /** Messages are spread over this many days before `now`. */
  historyDays: number;
  reports: number;
  /** Reports are spread over this many days before `now` (more than 90 so a client needs several windows). */
  reportDays: number;
  /** The world's present: no message or report is newer. Defaults to the start of today (UTC). */
  now: Date;
  envelopes: EnvelopeSet;
}

export const DEFAULT_WORLD: Omit<WorldOptions, 'now'> = {
  seed: 1,
  contacts: 60,
  meanMessages: 12,
  heavyEvery: 33,
  historyDays: 120,
  reports: 240,
  reportDays: 200,
  envelopes: 'standard',
};

/** A decrypted history message, with the fields observed live (§4). */
export interface HistoryMessage {
  sent_by: 'customer' | 'operator' | 'bot';
  content: string;
  created_at: string;
  status: string;
  is_template_message: boolean;
  is_reply: boolean;
}

/** What the API filters on but (as far as we know) does not return in the plaintext. */
interface StoredMessage extends HistoryMessage {
  type: string;
  channel: string;
  at: number;
}

export interface ContactVariant {
  charset: 'utf-8' | 'latin1';
  doubleEncoded: boolean;
  controlChars: boolean;
  rotatedKey: boolean;
}

export interface DateWindow {
  /** Inclusive, epoch ms. */
  from: number;
  /** Exclusive, epoch ms. */
  to: number;
}

const DAY = 86_400_000;
export class World {
  readonly options: WorldOptions;
  private readonly idPrefix: string;
  private readonly idMask: number;
  /** The account's small lists (employees, flows, templates, …). */
  readonly account: Account;
  /** The clock after the world's origin (`options.now`): days that passed, with new activity. */
  readonly timeline: Timeline;
  private reportCache?: Record<string, unknown>[];

  constructor(options: Partial<WorldOptions> = {}) {
    const now = options.now ?? new Date(Math.floor(Date.now() / DAY) * DAY);
    this.options = { ...DEFAULT_WORLD, ...options, now };
    const rng = new Rng(`${this.options.seed}:ids`);
    this.idPrefix = rng.hex(8);
    this.idMask = hash32(`${this.options.seed}:mask`);
    this.account = new Account(this.options.seed);
    this.timeline = new Timeline(this.options.seed, now.getTime());
  }

  /** When the seeded world was made: its base messages and reports are older. */
  get origin(): number {
    return this.options.now.getTime();
  }

  /** The present: the origin, or later once the clock has moved. */
  get now(): number {
    return this.timeline.now;
  }

  /**
   * Moves the clock `days` forward with new activity on `share` of the contacts (and on the contacts in
   * `also`): messages, and the attendances that cover them (see timeline.ts).
   */
  advance(days: number, share: number, also: readonly number[] = []): void {
    this.timeline.advance(days, share, also);
    this.reportCache = undefined;
  }

  private openByContact?: Map<unknown, Record<string, unknown>>;

  /** Whether a contact has an attendance still open (opened in the last 89 days, never closed). */
  openAttendanceOf(index: number): Record<string, unknown> | undefined {
    if (!this.openByContact) {
      this.openByContact = new Map();
      // Reports are newest first: the first open one of a contact is its latest.
      for (const r of this.baseReports()) {
        const id = (r['customer'] as { id?: unknown } | null)?.id;
        if (r['closed'] === false && Date.parse(String(r['created_at'])) >= this.origin - 89 * DAY)
          if (id !== undefined && !this.openByContact.has(id)) this.openByContact.set(id, r);
      }
    }
    return this.openByContact.get(this.contactId(index));
  }

  // ---- contacts -------------------------------------------------------------------------------

  contactId(index: number): string {
    const middle = ((index ^ this.idMask) >>> 0).toString(16).padStart(8, '0');
    const check = hash32(`${this.options.seed}:check:${index}`).toString(16).padStart(8, '0');
    return this.idPrefix + middle + check;
  }

  /** The index of a contact id, or undefined when no such contact exists. */
  contactIndex(id: string): number | undefined {
    if (!/^[0-9a-f]{24}$/.test(id) || !id.startsWith(this.idPrefix)) return undefined;
    const index = (parseInt(id.slice(8, 16), 16) ^ this.idMask) >>> 0;
    if (index >= this.options.contacts || this.contactId(index) !== id) return undefined;
    return index;
  }

  /** A contact as /v2/customers lists it (contact.ts). */
  contact(index: number): Record<string, unknown> {
    return makeContact(this, index);
  }

  /** Which plaintext quirk a contact's history shows (§4); fixed by index so small worlds have every kind. */
  variant(index: number): ContactVariant {
    const controlChars = index % 6 === 3;
    return {
      charset: index % 5 === 1 ? 'latin1' : 'utf-8',
      controlChars,
      doubleEncoded: !controlChars && index % 7 === 2,
      rotatedKey: index % 11 === 4,
    };
  }

  messageCount(index: number): number {
    const { heavyEvery, meanMessages } = this.options;
    if (index % 10 === 9) return 0;
    const rng = new Rng(`${this.options.seed}:count:${index}`);
    if (heavyEvery > 0 && index % heavyEvery === 5) {
      return index % (heavyEvery * 2) === 5 ? 100 : rng.int(101, 260);
    }
    const heavyMean = heavyEvery > 0 ? 180 / heavyEvery : 0;
    const spread = Math.max(1, Math.round((2 * Math.max(1, meanMessages - heavyMean)) / 0.9 - 1));
    return rng.int(1, spread);
  }

  /** Every message of a contact, newest first (page 1 = most recent, §5.5). */
  private storedMessages(index: number): StoredMessage[] {
    const n = this.messageCount(index);
    const rng = new Rng(`${this.options.seed}:messages:${index}`);
    const variant = this.variant(index);
    const span = this.options.historyDays * DAY;
    const out: StoredMessage[] = [];
    for (let j = 0; j < n; j++) {
      const at = this.origin - 1000 - Math.floor((rng.next() * span) / 1000) * 1000;
      const sentBy = rng.weighted(SENT_BY);
      const type = sentBy === 'bot' ? 'text' : rng.weighted(TYPES);
      const channel = rng.weighted(CHANNELS);
      out.push({
        sent_by: sentBy,
        content: messageContent(rng, sentBy, type, variant, j),
        created_at: new Date(at).toISOString(),
        status: rng.pick(['success', 'read', 'checked', 'wait']),
        is_template_message: sentBy === 'operator' && rng.chance(0.1),
        is_reply: rng.chance(0.05),
        type,
        channel,
        at,
      });
    }
    if (this.timeline.epochs.length) {
      const kind = this.timeline.kindOf(index, this.openAttendanceOf(index) !== undefined);
      for (const epoch of this.timeline.epochs)
        for (const m of this.timeline.messagesIn(epoch, index, kind))
          out.push({
            ...m,
            created_at: new Date(m.at).toISOString(),
            status: 'read',
            is_template_message: false,
            is_reply: false,
            type: 'text',
            channel: 'whatsapp',
          });
    }
    return out.sort((a, b) => b.at - a.at || (a.content < b.content ? -1 : 1));
  }

  /** Messages as the API filters them: window, then sender, type and channel sets. */
  filterMessages(
    index: number,
    window: DateWindow,
    filters?: { sentBy: readonly string[]; type: readonly string[]; channel: readonly string[] },
  ): HistoryMessage[] {
    return this.storedMessages(index)
      .filter((m) => m.at >= window.from && m.at < window.to)
      .filter(
        (m) =>
          !filters ||
          (filters.sentBy.includes(m.sent_by) &&
            filters.type.includes(m.type) &&
            filters.channel.includes(m.channel)),
      )
      .map(({ sent_by, content, created_at, status, is_template_message, is_reply }) => ({
        sent_by,
        content,
        created_at,
        status,
        is_template_message,
        is_reply,
      }));
  }

  /** Ground truth: every message of a contact in the window, whatever its sender, type or channel. */
  expectedMessages(index: number, window: DateWindow): HistoryMessage[] {
    return this.filterMessages(index, window);
  }

  // ---- reports (v4) ---------------------------------------------------------------------------

  private baseCache?: Record<string, unknown>[];

  /** The reports the world was seeded with (before any activity on the timeline). */
  private baseReports(): Record<string, unknown>[] {
    this.baseCache ??= makeReports(this);
    return this.baseCache;
  }

  /** Per epoch of the timeline, what its activity did to reports (computed once per epoch). */
  private readonly epochCache: EpochReports[] = [];

  /** Every attendance report, newest first: the seeded ones, and those the timeline's activity opened. */
  reports(): Record<string, unknown>[] {
    for (const epoch of this.timeline.epochs.slice(this.epochCache.length))
      this.epochCache.push(epochReports(this, epoch));
    this.reportCache ??= withActivity(this.baseReports(), this.epochCache);
    return this.reportCache;
  }

  /** Reports whose creation day lies in [startDay, endDay] (§5.6: dates filter on the opening date). */
  reportsBetween(startDay: string, endDay: string): Record<string, unknown>[] {
    return this.reports().filter((r) => {
      const day = String(r['created_at']).slice(0, 10);
      return day >= startDay && day <= endDay;
    });
  }
}
