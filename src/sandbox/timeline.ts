/**
 * The world in time: the clock moves forward a number of days with new activity on a chosen share of
 * contacts. Activity is a pure function of (seed, epoch, contact), so nothing big is stored.
 *
 * What new activity looks like (docs/api-notes.md §5.6, §9b):
 * - usually an attendance ("atendimento") opened at the first new message and closed after the last; its report
 *   carries the contact and counters that agree with the messages;
 * - for a contact with an attendance still open (opened days ago, never closed), the new messages belong to it:
 *   no new report, the open one's counters grow, and only `status=opened` finds it in a recent window;
 * - for some contacts (one in ten), bot-only messages outside any attendance: no report at all;
 * - in one attendance of five, the first operator message is a system event (a transfer notice).
 */
import { hash32 } from './random.js';
import * as T from './text.js';

export interface Epoch {
  index: number;
  /** Exclusive start and inclusive end of the epoch, epoch ms. */
  from: number;
  to: number;
  share: number;
  /** Contacts active whatever the share says (tests choose them). */
  also: readonly number[];
}

export type ActivityKind = 'attendance' | 'open-attendance' | 'outside';

export interface NewMessage {
  sent_by: 'customer' | 'operator' | 'bot';
  content: string;
  at: number;
}

const DAY = 86_400_000;

export class Timeline {
  readonly epochs: Epoch[] = [];

  constructor(
    private readonly seed: number,
    readonly origin: number,
  ) {}

  get now(): number {
    return this.epochs.at(-1)?.to ?? this.origin;
  }

  /** Moves the clock `days` forward, with new activity on `share` of the contacts (and on `also`). */
  advance(days: number, share: number, also: readonly number[] = []): Epoch {
    const epoch = { index: this.epochs.length, from: this.now, to: this.now + days * DAY, share, also };
    this.epochs.push(epoch);
    return epoch;
  }

  isActive(epoch: Epoch, index: number): boolean {
    return (
      epoch.also.includes(index) ||
      hash32(`${this.seed}:epoch:${epoch.index}:${index}`) / 2 ** 32 < epoch.share
    );
  }

  /** How a contact's activity shows in reports; `openAttendance` says whether it has an attendance still open. */
  kindOf(index: number, openAttendance: boolean): ActivityKind {
    if (openAttendance) return 'open-attendance';
    return hash32(`${this.seed}:outside:${index}`) % 10 === 1 ? 'outside' : 'attendance';
  }

  /** A contact's messages in one epoch, oldest first (none when it was not active). */
  messagesIn(epoch: Epoch, index: number, kind: ActivityKind): NewMessage[] {
    if (!this.isActive(epoch, index)) return [];
    const h = hash32(`${this.seed}:activity:${epoch.index}:${index}`);
    const n = 2 + (h % 3);
    const step = Math.floor((epoch.to - epoch.from) / (n + 2) / 1000) * 1000;
    return Array.from({ length: n }, (_, k): NewMessage => {
      const sentBy = kind === 'outside' ? 'bot' : k % 2 === 0 ? 'customer' : 'operator';
      const lines =
        sentBy === 'customer' ? T.CUSTOMER_LINES : sentBy === 'operator' ? T.OPERATOR_LINES : T.BOT_LINES;
      // In one attendance of five the first answer is the platform's transfer notice, sent as the operator's
      // (§9b): a system event, never a reply.
      const content =
        sentBy === 'operator' && k === 1 && h % 5 === 3 ? T.SYSTEM_EVENTS[2] : lines[(h + k) % lines.length]!;
      return { sent_by: sentBy, content, at: epoch.from + (k + 1) * step };
    });
  }
}
