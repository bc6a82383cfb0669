import { createHash } from 'node:crypto';
import { defineStream, type DeriveScope, type Derived, type Record_ } from './define.js';
import { boolean, dateTime, key, object, record, string } from './schema.js';

/**
 * What kind of message a row is. The API sends no type (docs/api-notes.md §4, §9b), so it is derived here and
 * only here:
 * - `media`: `content` is URL-encoded JSON (it starts with `%7B`, an encoded `{`) naming a file
 *   (`file_name`/`file_path`); the row gets `media` and a null `content`;
 * - `system_event`: the platform's own notices, which arrive as ordinary messages: text starting with `>:`
 *   (">: Atendimento iniciado.") or starting with "Atendimento iniciado/encerrado/transferido/retomado/
 *   finalizado";
 * - `text`: everything else.
 */
export type MessageKind = 'text' | 'media' | 'system_event';
const SYSTEM_EVENT = /^\s*(>:|atendimento (iniciado|encerrado|transferido|retomado|finalizado)\b)/i;
/** §9b: one client takes an operator's name from a `*Name:*` line opening an operator's message. */
const OPERATOR_PREFIX = /^\*([^*\n]{1,80}):\*\r?\n/;

function mediaOf(content: string): Record_ | undefined {
  if (!/^%7B/i.test(content)) return undefined;
  try {
    const value = JSON.parse(decodeURIComponent(content)) as unknown;
    if (value && typeof value === 'object' && !Array.isArray(value)) {
      const media = value as Record_;
      if ('file_path' in media || 'file_name' in media) return media;
    }
  } catch {
    // Not URL-encoded JSON after all: a text that happens to start with %7B.
  }
  return undefined;
}

export function kindOf(content: string | null): { kind: MessageKind; media?: Record_ } {
  if (content === null) return { kind: 'text' };
  const media = mediaOf(content);
  if (media) return { kind: 'media', media };
  return { kind: SYSTEM_EVENT.test(content) ? 'system_event' : 'text' };
}

/**
 * The API has no message id. The key is a hash of what identifies a message (contact, raw `created_at`,
 * sender, raw content) plus how many identical messages came before it in the same contact, so the same
 * message gets the same key on every sync and two identical messages get two keys.
 */
function messageKey(customerId: string, message: Record_, raw: string | null, scope: DeriveScope): string {
  const hash = createHash('sha256')
    .update(JSON.stringify([customerId, message['created_at'] ?? null, message['sent_by'] ?? null, raw]))
    .digest('hex')
    .slice(0, 32);
  const occurrence = scope.get(hash) ?? 0;
  scope.set(hash, occurrence + 1);
  return `${hash}-${occurrence}`;
}

function rfc3339(value: unknown): string | null {
  if (typeof value !== 'string' && typeof value !== 'number') return null;
  const at = new Date(value);
  return Number.isNaN(at.getTime()) ? null : at.toISOString();
}

function messageRow(item: Record_, customerId: string, kid: unknown, scope: DeriveScope): Record_ {
  // §9b [conflicting]: one client reads the text from `message` before `content`.
  const rawText = item['content'] ?? item['message'] ?? null;
  const raw = rawText === null ? null : String(rawText);
  const { kind, media } = kindOf(raw);
  const createdAt = rfc3339(item['created_at']);
  const operator = item['sent_by'] === 'operator' && raw ? OPERATOR_PREFIX.exec(raw)?.[1]?.trim() : undefined;
  return {
    ...item,
    message_key: messageKey(customerId, item, raw, scope),
    customer_id: customerId,
    created_at: createdAt,
    ...(createdAt === null && item['created_at'] !== undefined ? { created_at_raw: item['created_at'] } : {}),
    kind,
    content: kind === 'media' ? null : raw,
    media: media ?? null,
    operator_name: operator ?? null,
    kid: typeof kid === 'string' ? kid : null,
  };
}

/** One messages_history page → its messages as rows; an unreadable page gives none, and says why. */
function rowsOfPage(page: Record_, scope: DeriveScope): Derived {
  const customerId = String(page['customer_id'] ?? '');
  if (page['encrypted'] === true || page['decrypt_error'])
    return {
      records: [],
      unreadable: String(page['decrypt_error'] ?? 'no private key: the page stayed encrypted'),
    };
  let list: unknown;
  try {
    list = JSON.parse(String(page['data']));
  } catch {
    return { records: [], unreadable: 'decrypted page is not JSON' };
  }
  if (!Array.isArray(list)) return { records: [], unreadable: 'decrypted page is not a list of messages' };
  const records: Record_[] = [];
  for (const item of list)
    if (item && typeof item === 'object' && !Array.isArray(item))
      records.push(messageRow(item as Record_, customerId, page['kid'], scope));
  return records.length === list.length
    ? { records }
    : { records, unreadable: 'a message in the page is not an object' };
}

export const messages = defineStream({
  name: 'messages',
  description:
    'One row per decrypted message, from the same requests as messages_history (no request of its own). Needs start_date and private_key_jwk.',
  base: 'messages_history',
  // Incremental: history from the last run's end (less the lookback) for the contacts the reports say had news
  // (messages_history.ts `changes`); rows merge by message_key.
  incremental: { replicationKey: 'created_at' },
  derive: rowsOfPage,
  needs: ['start_date', 'private_key_jwk'],
  keys: ['message_key'],
  schema: record({
    message_key: key(
      'Stable key: a hash of customer_id, the raw created_at, sent_by and the raw content, then "-" and the occurrence among identical messages of the contact',
    ),
    customer_id: string('Contact the message belongs to'),
    created_at: dateTime('When it was sent, RFC 3339 in UTC'),
    created_at_raw: string('created_at as the API sent it, when it could not be read as a date'),
    sent_by: string('customer, operator or bot'),
    kind: string('text, media or system_event (see the README for the rule)'),
    content: string('The text exactly as sent; null for media'),
    media: object(
      {
        file_name: string(),
        file_path: string('Relative path; the API has no download endpoint'),
        file_extension: string(),
        mimetype: string(),
      },
      'The file of a media message (decoded from its URL-encoded content)',
    ),
    operator_name: string('The name an operator message opens with ("*Name:*" on its first line), if any'),
    status: string('success, wait, read or checked'),
    is_template_message: boolean(),
    is_reply: boolean(),
    kid: string('Key id of the page it was decrypted from'),
  }),
});
