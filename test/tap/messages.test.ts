/** The `messages` stream against the sandbox: every message of every plaintext variant, once, with stable keys. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import { startSandbox, type HistoryMessage, type Sandbox } from '../../src/sandbox/index.js';
import { DAY, dayOf, sync } from '../helpers.js';
import { dayWindow, expectedMessageRows } from '../oracle.js';

let sb: Sandbox;
let start: string;
let end: string;
const key = () => ({ start_date: start, private_key_jwk: JSON.stringify(sb.jwk.current) });

beforeAll(async () => {
  // 70 contacts: every plaintext variant (Latin-1, JSON in a string, control characters, a rotated key) and
  // contacts with more than one page of history.
  sb = await startSandbox({ world: { seed: 23, contacts: 70, historyDays: 120 }, requestsPerMinute: 0 });
  start = dayOf(sb.world.now - 100 * DAY);
  end = dayOf(sb.world.now - DAY);
});
afterAll(() => sb.close());

/** What a message row must hold for a message the API sent. */
function expectedRow(m: HistoryMessage): Record<string, unknown> {
  const media = m.content.startsWith('%7B') ? (JSON.parse(decodeURIComponent(m.content)) as object) : null;
  return {
    sent_by: m.sent_by,
    created_at: new Date(m.created_at).toISOString(),
    content: media ? null : m.content,
    media,
    status: m.status,
    is_template_message: m.is_template_message,
    is_reply: m.is_reply,
    kind: media ? 'media' : m.content.startsWith('>:') ? 'system_event' : 'text',
  };
}

describe('messages', () => {
  it('delivers every message of every contact exactly once, field-equal to the ground truth', async () => {
    const { sink, summary } = await sync(sb, key(), { selected: ['messages'] });
    const rows = sink.records('messages');
    const window = dayWindow(start, end);
    let expectedTotal = 0;
    const kinds = new Set<unknown>();
    for (let i = 0; i < sb.world.options.contacts; i++) {
      const expected = expectedMessageRows(sb.world, i, window);
      expectedTotal += expected.length;
      const got = rows.filter((r) => r['customer_id'] === sb.world.contactId(i));
      expect(
        got.map(({ sent_by, created_at, content, media, status, is_template_message, is_reply, kind }) => ({
          sent_by,
          created_at,
          content,
          media,
          status,
          is_template_message,
          is_reply,
          kind,
        })),
        `contact ${i}`,
      ).toEqual(expected.map(expectedRow));
      for (const r of got) kinds.add(r['kind']);
    }
    expect(rows).toHaveLength(expectedTotal);
    expect(kinds).toEqual(new Set(['text', 'media', 'system_event']));
    expect(new Set(rows.map((r) => r['message_key'])).size).toBe(rows.length);
    expect(rows.some((r) => typeof r['operator_name'] === 'string')).toBe(true);
    expect(rows.some((r) => String(r['content']).includes('\u0000'))).toBe(true);
    expect(rows.some((r) => /[çãé]/.test(String(r['content'])))).toBe(true);
    // The rotated key's pages give no rows, and the summary says how many and why.
    const rotated = Object.entries(summary.unreadable['messages'] ?? {});
    expect(rotated.length).toBe(1);
    expect(rotated[0]![0]).toMatch(/encrypted with key .*key-1, not the configured key/);
    expect(rotated[0]![1]).toBeGreaterThan(0);
  });

  it('gives the same keys on a second sync', async () => {
    const keys = async () =>
      (await sync(sb, key(), { selected: ['messages'] })).sink
        .records('messages')
        .map((r) => r['message_key'])
        .sort();
    expect(await keys()).toEqual(await keys());
  });

  it('costs no request of its own: messages, messages_history or both make the same requests', async () => {
    const requests = async (selected: string[]) => {
      sb.resetCounters();
      await sync(sb, key(), { selected });
      return [sb.count('/v2/customers'), sb.count('/v2/messages/history')];
    };
    const both = await requests(['messages_history', 'messages']);
    expect(await requests(['messages'])).toEqual(both);
    expect(await requests(['messages_history'])).toEqual(both);
  });

  it('selected without a private key: a clear configuration error before any request', async () => {
    sb.resetCounters();
    const error = await sync(sb, { start_date: start }, { selected: ['messages'] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toBe(
      'messages is selected but private_key_jwk is not set: set private_key_jwk or deselect messages',
    );
    expect(sb.counters.total).toBe(0);
  });
});
