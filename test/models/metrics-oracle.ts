/**
 * The service layer's metrics computed from the sandbox's ground truth, in plain TypeScript: what the views of
 * src/models must say, reached another way (no SQL, no tap code). System events are recognised by the
 * sandbox's own list of them, not by the tap's rule.
 */
import type { DateWindow, World } from '../../src/sandbox/index.js';
import { SYSTEM_EVENTS } from '../../src/sandbox/text.js';
import { expectedMessageRows } from '../oracle.js';

export interface TruthMessage {
  sent_by: string;
  at: number;
  system: boolean;
}

export interface TruthAttendance {
  id: string;
  contact_id: string | null;
  channel: string | null;
  operator: string | null;
  opened_at: number;
  closed_at: number | null;
  messages_from_contact: number;
  messages_from_operators: number;
  messages_from_bot: number;
  first_contact_message_at: number | null;
  first_operator_reply_at: number | null;
  first_response_seconds: number | null;
  /** What the coverage checks look at: a system event sent as an operator's inside it, after the contact spoke. */
  operatorSystemEventAfterContact: boolean;
}

export interface TruthDay {
  day: string;
  channel: string | null;
  operator: string | null;
  attendances_opened: number;
  attendances_closed: number;
  messages_in: number;
  messages_out: number;
  median_first_response_seconds: number | null;
  p90_first_response_seconds: number | null;
}

const isSystem = (content: string): boolean => SYSTEM_EVENTS.some((e) => content.startsWith(e));

/** Every message the catalog should hold, by contact id. */
export function truthMessages(world: World, window: DateWindow): Map<string, TruthMessage[]> {
  const out = new Map<string, TruthMessage[]>();
  for (let i = 0; i < world.options.contacts; i++)
    out.set(
      world.contactId(i),
      expectedMessageRows(world, i, window).map((m) => ({
        sent_by: m.sent_by,
        at: Date.parse(m.created_at),
        system: isSystem(m.content),
      })),
    );
  return out;
}

const within = (a: { opened_at: number; closed_at: number | null }, at: number, now: number): boolean =>
  at >= a.opened_at && at <= (a.closed_at ?? now);

export function truthAttendances(
  reports: Record<string, unknown>[],
  messages: Map<string, TruthMessage[]>,
  now: number,
): TruthAttendance[] {
  return reports.map((r) => {
    const customer = r['customer'] as { id?: string } | null;
    const employee = r['employee'] as { name?: string } | null;
    const contactId = customer?.id ?? null;
    const opened = Date.parse(String(r['opened_at'] ?? r['created_at']));
    const closed = r['closed'] === false || !r['closed_at'] ? null : Date.parse(String(r['closed_at']));
    const span = { opened_at: opened, closed_at: closed };
    const inside = (contactId ? (messages.get(contactId) ?? []) : []).filter((m) => within(span, m.at, now));
    const counted = inside.filter((m) => !m.system);
    const from = (who: string) => counted.filter((m) => m.sent_by === who);
    const firstContact = Math.min(...from('customer').map((m) => m.at));
    const contactAt = Number.isFinite(firstContact) ? firstContact : null;
    const reply =
      contactAt === null
        ? Infinity
        : Math.min(...from('operator').flatMap((m) => (m.at > contactAt ? [m.at] : [])));
    const replyAt = Number.isFinite(reply) ? reply : null;
    return {
      id: String(r['id']),
      contact_id: contactId,
      channel: (r['channel'] as string | null) ?? null,
      operator: employee?.name ?? null,
      opened_at: opened,
      closed_at: closed,
      messages_from_contact: from('customer').length,
      messages_from_operators: from('operator').length,
      messages_from_bot: from('bot').length,
      first_contact_message_at: contactAt,
      first_operator_reply_at: replyAt,
      first_response_seconds: contactAt !== null && replyAt !== null ? (replyAt - contactAt) / 1000 : null,
      operatorSystemEventAfterContact:
        contactAt !== null && inside.some((m) => m.system && m.sent_by === 'operator' && m.at > contactAt),
    };
  });
}

/** The value at fraction q of the sorted values, interpolated between the two nearest (as quantile_cont). */
export function quantile(values: number[], q: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const position = q * (sorted.length - 1);
  const low = Math.floor(position);
  const high = Math.ceil(position);
  return sorted[low]! + (sorted[high]! - sorted[low]!) * (position - low);
}

/** A day in a time zone, YYYY-MM-DD. */
export const dayIn = (timeZone: string) => {
  const format = new Intl.DateTimeFormat('en-CA', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  });
  return (at: number): string => format.format(at);
};

export function truthDays(
  attendances: TruthAttendance[],
  messages: Map<string, TruthMessage[]>,
  timeZone: string,
  now: number,
): TruthDay[] {
  const day = dayIn(timeZone);
  const rows = new Map<string, TruthDay & { responses: number[] }>();
  const row = (d: string, channel: string | null, operator: string | null) => {
    const key = JSON.stringify([d, channel, operator]);
    let r = rows.get(key);
    if (!r) {
      r = {
        day: d,
        channel,
        operator,
        attendances_opened: 0,
        attendances_closed: 0,
        messages_in: 0,
        messages_out: 0,
        median_first_response_seconds: null,
        p90_first_response_seconds: null,
        responses: [],
      };
      rows.set(key, r);
    }
    return r;
  };
  const byContact = new Map<string, TruthAttendance[]>();
  for (const a of attendances) {
    const opened = row(day(a.opened_at), a.channel, a.operator);
    opened.attendances_opened++;
    if (a.first_response_seconds !== null) opened.responses.push(a.first_response_seconds);
    if (a.closed_at !== null) row(day(a.closed_at), a.channel, a.operator).attendances_closed++;
    if (a.contact_id) byContact.set(a.contact_id, [...(byContact.get(a.contact_id) ?? []), a]);
  }
  for (const [contact, list] of messages)
    for (const m of list) {
      if (m.system || !['customer', 'operator', 'bot'].includes(m.sent_by)) continue;
      // The attendance it belongs to: the latest opened of those containing it, then the greatest id.
      const owner = (byContact.get(contact) ?? [])
        .filter((a) => within(a, m.at, now))
        .sort((a, b) => b.opened_at - a.opened_at || (b.id > a.id ? 1 : b.id < a.id ? -1 : 0))[0];
      const r = row(day(m.at), owner?.channel ?? null, owner?.operator ?? null);
      if (m.sent_by === 'customer') r.messages_in++;
      else r.messages_out++;
    }
  return [...rows.values()].map(({ responses, ...r }) => ({
    ...r,
    median_first_response_seconds: quantile(responses, 0.5),
    p90_first_response_seconds: quantile(responses, 0.9),
  }));
}

export interface TruthContact {
  contact_id: string;
  first_message_at: number | null;
  last_message_at: number | null;
  messages_from_contact: number;
  messages_from_operators: number;
  messages_from_bot: number;
  attendances: number;
  last_operator: string | null;
}

/** One row per contact with a message (system events aside) or an attendance. */
export function truthContacts(
  attendances: TruthAttendance[],
  messages: Map<string, TruthMessage[]>,
): TruthContact[] {
  const ids = new Set<string>();
  for (const [id, list] of messages) if (list.some((m) => !m.system)) ids.add(id);
  for (const a of attendances) if (a.contact_id) ids.add(a.contact_id);
  return [...ids].map((id) => {
    const counted = (messages.get(id) ?? []).filter((m) => !m.system);
    const times = counted.map((m) => m.at);
    const mine = attendances.filter((a) => a.contact_id === id);
    const named = mine
      .filter((a) => a.operator !== null)
      .sort((a, b) => b.opened_at - a.opened_at || (b.id > a.id ? 1 : -1));
    return {
      contact_id: id,
      first_message_at: times.length ? Math.min(...times) : null,
      last_message_at: times.length ? Math.max(...times) : null,
      messages_from_contact: counted.filter((m) => m.sent_by === 'customer').length,
      messages_from_operators: counted.filter((m) => m.sent_by === 'operator').length,
      messages_from_bot: counted.filter((m) => m.sent_by === 'bot').length,
      attendances: mine.length,
      last_operator: named[0]?.operator ?? null,
    };
  });
}
