/**
 * Step 2's list: every stream of the registry, grouped as the app shows them, with the notes a person needs
 * before selecting one (what it needs, what it costs, what a plan lacks). Grouping is presentation only: a
 * stream not named here shows under "Other", so a new stream needs no change in the app.
 */
import { isChild, isDerived, streamByName, STREAMS } from '../streams/index.js';
import type { StreamChoice } from './wizard-page.js';

const GROUPS: Record<string, string> = {
  messages: 'Conversations',
  messages_history: 'Conversations',
  reports: 'Conversations',
  contacts: 'Contacts',
  custom_fields: 'Contacts',
  wallets: 'Contacts',
  employees: 'Team and automation',
  flows: 'Team and automation',
  templates: 'Team and automation',
  workflows: 'Team and automation',
  whatsapp_integrations: 'Team and automation',
  whatsapp_official_integrations: 'Team and automation',
};

/** A stream's group in the app (step 2, the data model). */
export const groupOf = (stream: string): string => GROUPS[stream] ?? 'Other';

/** How the app draws the catalog's data model: the table each stream's rows join, and on what. */
export const JOINS: Record<string, { stream: string; on: string }> = {
  messages: { stream: 'contacts', on: 'customer_id = id' },
  messages_history: { stream: 'contacts', on: 'customer_id = id' },
  reports: { stream: 'contacts', on: 'customer.id = id' },
};

/** The picture a table page draws: rows per day of `day`, stacked by `by`. */
export const DAILY_CHARTS: Record<string, { day: string; by: string; title: string }> = {
  messages: { day: 'created_at', by: 'sent_by', title: 'Messages per day, by sender' },
};

export function streamChoices(): StreamChoice[] {
  return STREAMS.map((stream) => {
    const notes: string[] = [];
    // A derived stream costs what its base costs.
    const read = isDerived(stream) ? streamByName(stream.base) : stream;
    const needs = [...new Set([...(stream.needs ?? []), ...(read?.needs ?? [])])];
    if (needs.length) notes.push(`needs ${needs.join(' and ')}`);
    if (read?.planAdvice) notes.push(read.planAdvice);
    if (read && isChild(read))
      notes.push(`reads once per ${read.parent.stream} record: at least one request each`);
    if (isDerived(stream)) notes.push(`made from the requests of ${stream.base}: none of its own`);
    if (stream.incremental) notes.push('can sync incrementally (step 3)');
    return { stream, group: groupOf(stream.name), notes };
  });
}
