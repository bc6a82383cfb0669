import { defineStream } from './define.js';
import {
  openReports,
  reportClosedAt,
  reportCustomer,
  reportFingerprint,
  reportOpenedAt,
  reports,
  reportTouchedSince,
} from './reports.js';
import { encryptedPage } from './records.js';
import { boolean, integerKey, key, record, string } from './schema.js';

/**
 * The filter values to ask for (§5.5). The API's defaults drop bot messages, media and other channels, so
 * we name every value we know of, as repeated keys. Unsure: the full list of `type`s (murano-crm's list).
 */
export const HISTORY_FILTERS = {
  sent_by: ['bot', 'customer', 'operator'],
  type: [
    'text',
    'audio',
    'image',
    'video',
    'document',
    'doc',
    'contact',
    'location',
    'interactive',
    'list',
    'list_reply',
    'button_reply',
    'quick_reply',
    'buttons_image',
    'buttons_video',
    'buttons_document',
    'call-to-action',
    'email',
  ],
  channel: ['whatsapp', 'email', 'instagram', 'megasac', 'messenger', 'telegram'],
} as const;

export const messagesHistory = defineStream({
  name: 'messages_history',
  description: 'Message history per contact (GET /v2/messages/history), one record per page; JWE-encrypted.',
  path: '/v2/messages/history',
  records: encryptedPage('messages'),
  paging: { kind: 'untilShortPage', limit: 100 },
  parent: {
    stream: 'contacts',
    key: (contact) => String(contact['_id'] ?? contact['id'] ?? '') || undefined,
    param: 'customer_id',
  },
  // Without start_date the API answers only the last ~30 days (§5.5): always send both dates.
  needs: ['start_date'],
  query: (_config, days) => ({ start_date: days.startDay, end_date: days.endDay, ...HISTORY_FILTERS }),
  // §1.4, §3.1: on lower plans history answers 401, 402 or 403; plan names have changed over time.
  // An incremental run (of `messages`) reads the contacts with an attendance opened or closed since the last
  // run, and those with an attendance still open whose counters moved: no contacts listing. Messages outside
  // any attendance (bot-only) show in no report: the periodic full pass brings them.
  changes: {
    recent: reports,
    touchedSince: reportTouchedSince,
    openedAt: reportOpenedAt,
    settledAt: reportClosedAt,
    fingerprint: reportFingerprint,
    open: openReports,
    key: reportCustomer,
  },
  fullTableOnly:
    'a record is a page of history, and what a page holds shifts as messages arrive: there is no stable key to merge on; select messages (one row per message) for incremental syncs',
  planAdvice:
    'messages history needs the Advanced plan (and API access); deselect messages_history on other plans',
  keys: ['customer_id', 'page'],
  // `data` is the decrypted JSON: its \u0000 escapes would break a cast to jsonb in PostgreSQL.
  jsonText: ['data'],
  schema: record({
    customer_id: key('Contact this page of history belongs to'),
    page: integerKey('Page number (1 = most recent messages; what a page holds shifts as messages arrive)'),
    data: string('The decrypted JSON array of messages; the JWE string when it could not be decrypted'),
    encrypted: boolean('True when `data` is still the JWE'),
    kid: string('Key id from the JWE header'),
    decrypt_error: string('Why a page stayed encrypted although a key was set (e.g. a rotated key)'),
  }),
});
