/** The service layer's views read back as the oracle's rows (metrics-oracle.ts), to compare whole. */
import { expect } from 'vitest';
import { queryCatalog } from '../helpers.js';
import type { TruthAttendance, TruthContact, TruthDay } from './metrics-oracle.js';

const ms = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

/** service.attendances as the oracle's rows (its duration checked against its own opening and closing). */
export async function catalogAttendances(db: string): Promise<TruthAttendance[]> {
  const rows = await queryCatalog(
    db,
    `SELECT id, contact_id, channel, operator, epoch_ms(opened_at) AS o, epoch_ms(closed_at) AS c,
       messages_from_contact::INT AS mc, messages_from_operators::INT AS mo, messages_from_bot::INT AS mb,
       epoch_ms(first_contact_message_at) AS fc, epoch_ms(first_operator_reply_at) AS fr, first_response_seconds AS s,
       duration_seconds AS d
     FROM service.attendances ORDER BY id`,
  );
  return rows.map((r) => {
    expect(r['d'], `duration of ${String(r['id'])}`).toBe(
      r['c'] === null ? null : (Number(r['c']) - Number(r['o'])) / 1000,
    );
    return {
      id: String(r['id']),
      contact_id: (r['contact_id'] as string | null) ?? null,
      channel: (r['channel'] as string | null) ?? null,
      operator: (r['operator'] as string | null) ?? null,
      opened_at: Number(r['o']),
      closed_at: ms(r['c']),
      messages_from_contact: Number(r['mc']),
      messages_from_operators: Number(r['mo']),
      messages_from_bot: Number(r['mb']),
      first_contact_message_at: ms(r['fc']),
      first_operator_reply_at: ms(r['fr']),
      first_response_seconds: r['s'] === null ? null : Number(r['s']),
      operatorSystemEventAfterContact: false,
    };
  });
}

/** service.conversation_days as the oracle's rows. */
export async function catalogDays(db: string): Promise<TruthDay[]> {
  return (
    await queryCatalog(
      db,
      `SELECT day::VARCHAR AS day, channel, operator, attendances_opened::INT AS ao, attendances_closed::INT AS ac,
         messages_in::INT AS mi, messages_out::INT AS mo, median_first_response_seconds AS med,
         p90_first_response_seconds AS p90 FROM service.conversation_days`,
    )
  ).map((r) => ({
    day: String(r['day']),
    channel: (r['channel'] as string | null) ?? null,
    operator: (r['operator'] as string | null) ?? null,
    attendances_opened: Number(r['ao']),
    attendances_closed: Number(r['ac']),
    messages_in: Number(r['mi']),
    messages_out: Number(r['mo']),
    median_first_response_seconds: r['med'] === null ? null : Number(r['med']),
    p90_first_response_seconds: r['p90'] === null ? null : Number(r['p90']),
  }));
}

/** A conversation_days row's key. */
export const keyOf = (d: TruthDay) => JSON.stringify([d.day, d.channel, d.operator]);
/** Quantiles to the millisecond: SQL and the oracle add in other orders. */
export const rounded = (d: TruthDay) => ({
  ...d,
  median_first_response_seconds: d.median_first_response_seconds?.toFixed(3) ?? null,
  p90_first_response_seconds: d.p90_first_response_seconds?.toFixed(3) ?? null,
});

/** service.contacts_activity as the oracle's rows. */
export async function catalogContacts(db: string): Promise<TruthContact[]> {
  const contacts = await queryCatalog(
    db,
    `SELECT contact_id, epoch_ms(first_message_at) AS f, epoch_ms(last_message_at) AS l,
       messages_from_contact::INT AS mc, messages_from_operators::INT AS mo, messages_from_bot::INT AS mb,
       attendances::INT AS a, last_operator FROM service.contacts_activity ORDER BY contact_id`,
  );
  return contacts.map((r): TruthContact => ({
    contact_id: String(r['contact_id']),
    first_message_at: ms(r['f']),
    last_message_at: ms(r['l']),
    messages_from_contact: Number(r['mc']),
    messages_from_operators: Number(r['mo']),
    messages_from_bot: Number(r['mb']),
    attendances: Number(r['a']),
    last_operator: (r['last_operator'] as string | null) ?? null,
  }));
}
