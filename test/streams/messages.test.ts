/** src/streams/messages.ts: a messages_history page → message rows (the kind rule, the key, media, prefixes). */
import { describe, expect, it } from 'vitest';
import { kindOf, messages } from '../../src/streams/messages.js';

const media = {
  file_name: 'a.jpg',
  file_path: 'medias/x/a.jpg',
  file_extension: 'jpg',
  mimetype: 'image/jpeg',
};
const page = (items: unknown, extra: Record<string, unknown> = {}) => ({
  customer_id: 'c1',
  page: 1,
  data: JSON.stringify(items),
  encrypted: false,
  kid: 'k-2',
  decrypt_error: null,
  ...extra,
});

describe('messages rows', () => {
  it('tells text, media and system events apart by the documented rule', () => {
    expect(kindOf('Olá')).toEqual({ kind: 'text' });
    expect(kindOf(encodeURIComponent(JSON.stringify(media)))).toEqual({ kind: 'media', media });
    expect(kindOf('>: Atendimento iniciado.')).toEqual({ kind: 'system_event' });
    expect(kindOf('Atendimento encerrado pelo operador')).toEqual({ kind: 'system_event' });
    expect(kindOf('%7Bnot json')).toEqual({ kind: 'text' });
    expect(kindOf(encodeURIComponent('{"a":1}'))).toEqual({ kind: 'text' });
    expect(kindOf(null)).toEqual({ kind: 'text' });
  });

  it('keeps every field, normalises created_at to UTC, exposes media and an operator name', () => {
    const items = [
      {
        sent_by: 'operator',
        content: '*Ana Souza:*\nBom dia!',
        created_at: '2026-07-21T10:05:11-03:00',
        status: 'read',
        is_template_message: false,
        is_reply: false,
        extra: 1,
      },
      {
        sent_by: 'customer',
        content: encodeURIComponent(JSON.stringify(media)),
        created_at: '2026-07-21T13:06:00.000Z',
        status: 'success',
      },
      { sent_by: 'bot', message: 'via message', created_at: 'yesterday' },
    ];
    const { records, unreadable } = messages.derive(page(items), new Map());
    expect(unreadable).toBeUndefined();
    expect(records[0]).toMatchObject({
      customer_id: 'c1',
      created_at: '2026-07-21T13:05:11.000Z',
      kind: 'text',
      content: '*Ana Souza:*\nBom dia!',
      operator_name: 'Ana Souza',
      media: null,
      kid: 'k-2',
      extra: 1,
    });
    expect(records[1]).toMatchObject({ kind: 'media', content: null, media, operator_name: null });
    expect(records[2]).toMatchObject({
      content: 'via message',
      created_at: null,
      created_at_raw: 'yesterday',
    });
  });

  it('gives identical messages of a contact distinct keys, and the same keys on every read', () => {
    const same = { sent_by: 'customer', content: 'ok', created_at: '2026-07-21T13:05:11.000Z' };
    const keys = (scope = new Map<string, number>()) =>
      messages
        .derive(page([same, same, { ...same, content: 'ok!' }]), scope)
        .records.map((r) => r['message_key']);
    const first = keys();
    expect(new Set(first).size).toBe(3);
    expect(keys()).toEqual(first);
    expect(first[0]).toMatch(/^[0-9a-f]{32}-0$/);
    expect(first[1]).toBe(String(first[0]).replace(/-0$/, '-1'));
    // Another contact's identical message is another message.
    const other = messages.derive(page([same], { customer_id: 'c2' }), new Map()).records[0]!;
    expect(first).not.toContain(other['message_key']);
  });

  it('an undecryptable page gives no rows and says why', () => {
    expect(
      messages.derive(page([], { encrypted: true, decrypt_error: 'encrypted with key k-1' }), new Map()),
    ).toEqual({
      records: [],
      unreadable: 'encrypted with key k-1',
    });
    expect(messages.derive(page([], { encrypted: true, decrypt_error: null }), new Map()).unreadable).toMatch(
      /no private key/,
    );
    expect(messages.derive(page({ not: 'a list' }), new Map()).unreadable).toMatch(/not a list/);
  });
});
