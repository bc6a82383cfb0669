/** The tap against the sandbox, checked against the sandbox's ground truth. */
import { compactDecrypt, exportJWK, generateKeyPair, importJWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { STREAMS } from '../../src/streams/index.js';
import type { JsonSchema } from '../../src/streams/schema.js';
import type { ProgressEvent } from '../../src/tap/sync.js';
import { DAY, dayOf, sync } from '../helpers.js';
import { groundTruth, dayWindow } from '../oracle.js';

let sb: Sandbox;
let start: string;
let end: string;

beforeAll(async () => {
  sb = await startSandbox({
    world: { seed: 11, contacts: 230, reports: 400, reportDays: 200, historyDays: 120 },
    requestsPerMinute: 0,
  });
  start = dayOf(sb.world.now - 100 * DAY);
  end = dayOf(sb.world.now - DAY);
});
afterAll(() => sb.close());

type HistoryRecord = {
  customer_id: string;
  page: number;
  data: string;
  encrypted: boolean;
  kid: string | null;
  decrypt_error: string | null;
};

function historyByContact(records: Record<string, unknown>[]): Map<string, HistoryRecord[]> {
  const out = new Map<string, HistoryRecord[]>();
  for (const r of records as HistoryRecord[]) out.set(r.customer_id, [...(out.get(r.customer_id) ?? []), r]);
  for (const pages of out.values()) pages.sort((a, b) => a.page - b.page);
  return out;
}

function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

describe('a complete sync with a key', () => {
  let result: Awaited<ReturnType<typeof sync>>;
  beforeAll(async () => {
    result = await sync(sb, { start_date: start, private_key_jwk: JSON.stringify(sb.jwk.current) });
  });

  it("every field the sandbox sends is in its stream's schema (schema-driven targets keep them all)", () => {
    const missing = new Set<string>();
    const walk = (stream: string, schema: JsonSchema | undefined, value: unknown, path: string): void => {
      if (!value || typeof value !== 'object') return;
      if (Array.isArray(value)) return value.forEach((v) => walk(stream, schema?.items, v, `${path}[].`));
      // An object the schema lists no field of takes any keys (custom_fields): nothing to compare.
      if (!schema?.properties || Object.keys(schema.properties).length === 0) return;
      for (const [k, v] of Object.entries(value)) {
        if (!(k in schema.properties)) missing.add(`${stream}: ${path}${k}`);
        else walk(stream, schema.properties[k], v, `${path}${k}.`);
      }
    };
    let seen = 0;
    for (const message of result.sink.messages)
      if (message.type === 'RECORD') {
        seen += 1;
        walk(message.stream, STREAMS.find((s) => s.name === message.stream)!.schema, message.record, '');
      }
    expect(seen).toBeGreaterThan(1000);
    expect([...missing]).toEqual([]);
  });

  it('delivers every record of every stream', () => {
    const truth = groundTruth(sb.world, {
      history: dayWindow(start, end),
      reportsFrom: start,
      reportsTo: end,
    });
    for (const [stream, expected] of Object.entries(truth.records)) {
      expect(result.sink.records(stream).length, stream).toBe(expected);
    }
    const ids = new Set(result.sink.records('contacts').map((c) => c['_id']));
    expect(ids.size).toBe(230);
  });

  it('reads reports across several 90-day windows', () => {
    expect(sb.world.reportsBetween(start, end).length).toBeGreaterThan(
      sb.world.reportsBetween(dayOf(sb.world.now - 89 * DAY), end).length,
    );
    const ids = new Set(result.sink.records('reports').map((r) => r['id']));
    expect(ids.size).toBe(sb.world.reportsBetween(start, end).length);
  });

  it('decrypts every page to exactly the messages since start_date, bot, media and all plaintext quirks included', async () => {
    const byContact = historyByContact(result.sink.records('messages_history'));
    const window = dayWindow(start, end);
    const rotated = await importJWK(sb.jwk.rotated, 'RSA-OAEP-256');
    let checked = 0;
    for (let i = 0; i < 230; i++) {
      const expected = chunks(sb.world.expectedMessages(i, window), 100);
      const pages = byContact.get(sb.world.contactId(i)) ?? [];
      expect(
        pages.map((p) => p.page),
        `contact ${i}`,
      ).toEqual(expected.map((_, k) => k + 1));
      for (const [k, page] of pages.entries()) {
        if (sb.world.variant(i).rotatedKey) {
          expect(page.encrypted).toBe(true);
          expect(page.decrypt_error).toMatch(/not the configured key/);
          expect(page.kid).toBe(sb.jwk.rotated.kid);
          const { plaintext } = await compactDecrypt(page.data, rotated);
          expect(new TextDecoder().decode(plaintext)).toContain('created_at');
        } else {
          expect(page.encrypted).toBe(false);
          expect(page.decrypt_error).toBeNull();
          // U+0000 leaves the tap as U+FFFD (README "Warehouses").
          const want = JSON.parse(JSON.stringify(expected[k]).replaceAll('\\u0000', '\\ufffd')) as unknown;
          expect(JSON.parse(page.data), `contact ${i} page ${k + 1}`).toEqual(want);
          checked += 1;
        }
      }
    }
    const variants = Array.from({ length: 230 }, (_, i) => sb.world.variant(i));
    expect(
      variants.some((v) => v.charset === 'latin1') &&
        variants.some((v) => v.doubleEncoded) &&
        variants.some((v) => v.controlChars),
    ).toBe(true);
    expect(checked).toBeGreaterThan(100);
    const all = [...byContact.values()]
      .flat()
      .filter((p) => !p.encrypted)
      .flatMap((p) => JSON.parse(p.data) as { sent_by: string; content: string; created_at: string }[]);
    expect(all.some((m) => m.sent_by === 'bot')).toBe(true);
    expect(all.some((m) => m.content.startsWith('%7B'))).toBe(true);
    // Raw control characters came through (U+0000 as U+FFFD, README "Warehouses").
    expect(all.some((m) => m.content.includes('\u0001\t\u001f\ufffd'))).toBe(true);
    expect(all.some((m) => m.content.includes('\u0000'))).toBe(false);
    expect(all.some((m) => /[çãé]/.test(m.content))).toBe(true);
    expect(all.every((m) => m.created_at >= `${start}T00:00:00`)).toBe(true);
  });

  it('writes SCHEMA once per stream before its records, ACTIVATE_VERSION after, and a final empty STATE', () => {
    const seen = new Set<string>();
    const activated = new Set<string>();
    for (const m of result.sink.messages) {
      if (m.type === 'SCHEMA') {
        expect(seen.has(m.stream)).toBe(false);
        seen.add(m.stream);
      } else if (m.type === 'RECORD') {
        expect(seen.has(m.stream)).toBe(true);
        expect(activated.has(m.stream)).toBe(false);
      } else if (m.type === 'ACTIVATE_VERSION') activated.add(m.stream);
    }
    expect(seen.size).toBe(STREAMS.length);
    expect(activated.size).toBe(STREAMS.length);
    expect(result.sink.states().at(-1)).toEqual({ bookmarks: {}, currently_syncing: null });
  });

  it('asks history for every sender, type and channel as repeated keys, always with both dates', async () => {
    const asked: URLSearchParams[] = [];
    const small = await startSandbox({
      world: { seed: 12, contacts: 12 },
      requestsPerMinute: 0,
      onRequest: (path, query) => void (path === '/v2/messages/history' && asked.push(query)),
    });
    try {
      await sync(small, { start_date: start }, { selected: ['messages_history'] });
    } finally {
      await small.close();
    }
    expect(asked.length).toBeGreaterThanOrEqual(12);
    for (const query of asked) {
      expect(query.get('start_date')).toBe(start);
      expect(query.get('end_date')).toBe(end);
      expect(query.get('limit')).toBe('100');
      expect(query.getAll('sent_by')).toEqual(['bot', 'customer', 'operator']);
      expect(query.getAll('type')).toEqual(expect.arrayContaining(['text', 'audio', 'image', 'document']));
      expect(query.getAll('channel')).toEqual(expect.arrayContaining(['whatsapp', 'instagram', 'telegram']));
      expect(query.get('type')).not.toContain(',');
    }
  });
});

describe('progress', () => {
  it('tells the total of contacts from the first page, and history as a fraction of all of them', async () => {
    const events: ProgressEvent[] = [];
    await sync(
      sb,
      { start_date: start },
      { selected: ['contacts', 'messages_history'], onProgress: (e) => void events.push(e) },
    );
    const contacts = events.filter((e) => e.stream === 'contacts');
    expect(contacts[0]!.total).toBe(sb.world.options.contacts);
    const history = events.filter((e) => e.stream === 'messages_history' && e.partitionsDone !== undefined);
    expect(history.every((e) => e.partitionsTotal === sb.world.options.contacts)).toBe(true);
    expect(history.at(-1)!.partitionsDone).toBe(sb.world.options.contacts);
  });
});

describe('a wrong key', () => {
  it('stops after the first pages with one line naming both key ids, instead of syncing ciphertext', async () => {
    const { privateKey } = await generateKeyPair('RSA-OAEP-256', { extractable: true });
    const stranger = { ...(await exportJWK(privateKey)), kid: 'someone-elses-key', alg: 'RSA-OAEP-256' };
    sb.resetCounters();
    const error = await sync(
      sb,
      { start_date: start, private_key_jwk: stranger, partition_concurrency: 2 },
      { selected: ['messages_history'] },
    ).catch((e: unknown) => e);
    expect((error as Error).message).toMatch(
      /^the private key \(key id someone-elses-key\) decrypted none of the first 10 history pages \(they use key ids? conversas-11-202[56]-key-[12](, conversas-11-202[56]-key-[12])?\): set the private JWK of the account's current key/,
    );
    // Stopped early: a handful of requests, not one per contact.
    expect(sb.count('/v2/messages/history')).toBeLessThan(40);
  });

  it('a rotated key is normal: the pages it cannot read are counted by reason, the rest decrypt', async () => {
    const { summary } = await sync(
      sb,
      { start_date: start, private_key_jwk: JSON.stringify(sb.jwk.current) },
      { selected: ['messages_history'] },
    );
    const rotated = Object.entries(summary.encrypted);
    expect(rotated).toHaveLength(1);
    expect(rotated[0]![0]).toBe(
      'encrypted with key conversas-11-2025-key-1, not the configured key conversas-11-2026-key-2',
    );
    let pages = 0;
    for (let i = 0; i < sb.world.options.contacts; i++)
      if (sb.world.variant(i).rotatedKey)
        pages += Math.ceil(sb.world.expectedMessages(i, dayWindow(start, end)).length / 100);
    expect(rotated[0]![1]).toBe(pages);
  });
});

describe('without a key', () => {
  it('keeps every page, encrypted, with no decrypt_error', async () => {
    const { sink, summary } = await sync(sb, { start_date: start }, { selected: ['messages_history'] });
    expect(summary.encrypted).toEqual({ 'no private_key_jwk set': sink.records('messages_history').length });
    const truth = groundTruth(sb.world, {
      history: dayWindow(start, end),
      reportsFrom: start,
      reportsTo: end,
    });
    const pages = sink.records('messages_history') as HistoryRecord[];
    expect(pages).toHaveLength(truth.records['messages_history']!);
    expect(
      pages.every((p) => p.encrypted && p.decrypt_error === null && p.data.split('.').length === 5),
    ).toBe(true);
    expect(sink.records('contacts')).toHaveLength(0);
  });
});

describe('shapes', () => {
  it('accepts the alternate envelopes the sources report', async () => {
    const alt = await startSandbox({
      world: { seed: 3, contacts: 130, envelopes: 'alternate' },
      requestsPerMinute: 0,
    });
    try {
      const { sink } = await sync(
        alt,
        { start_date: '2000-01-01' },
        { selected: ['contacts', 'messages_history'] },
      );
      expect(sink.records('contacts')).toHaveLength(130);
      expect(
        sink.records('contacts').every((c) => c['_id'] === c['id'] && typeof c['_id'] === 'string'),
      ).toBe(true);
      expect(sink.records('messages_history').length).toBeGreaterThan(100);
      const rest = await sync(alt);
      expect(rest.sink.records('whatsapp_integrations')).toHaveLength(2);
      expect(rest.sink.records('custom_fields')).toHaveLength(5);
      expect(rest.sink.records('employees').every((e) => typeof e['id'] === 'string')).toBe(true);
      expect(rest.sink.records('wallets').map((w) => w['name'])).toEqual(alt.world.account.wallets());
      const stages = JSON.parse(String(rest.sink.records('workflows')[0]!['stages'])) as unknown[];
      expect(stages.length).toBeGreaterThan(0);
    } finally {
      await alt.close();
    }
  });

  it('maps each stream to its documented record shape', async () => {
    const { sink } = await sync(
      sb,
      {},
      { selected: ['employees', 'wallets', 'whatsapp_integrations', 'workflows'] },
    );
    const employee = sink.records('employees')[0]!;
    expect(employee['id']).toBe(employee['_id']);
    expect(sink.records('wallets')[0]).toEqual({ name: sb.world.account.wallets()[0] });
    const integration = sink.records('whatsapp_integrations')[0]!;
    expect(JSON.parse(String(integration['data']))).toEqual(sb.world.account.whatsappIntegrations()[0]);
    expect(JSON.parse(String(sink.records('workflows')[0]!['stages']))).toEqual(
      sb.world.account.workflows()[0]!['stages'],
    );
  });
});
