/** The sandbox, probed with plain HTTP requests and jose: no tap code. */
import { compactDecrypt, decodeProtectedHeader, importJWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { groundTruth } from '../oracle.js';

let sb: Sandbox;
const get = (path: string, token: string | null = sb.token) =>
  fetch(sb.url + path, { headers: token === null ? {} : { Authorization: `Bearer ${token}` } });
const json = async (path: string) => {
  const res = await get(path);
  expect(res.status, path).toBe(200);
  return res.json() as Promise<unknown>;
};

async function decrypt(jwe: string, jwk = sb.jwk.current): Promise<unknown> {
  const key = await importJWK(jwk, 'RSA-OAEP-256');
  const { plaintext } = await compactDecrypt(jwe, key);
  return plaintext;
}

const ALL =
  'sent_by=bot&sent_by=customer&sent_by=operator&channel=whatsapp&channel=instagram&channel=telegram&channel=messenger' +
  [
    'text',
    'audio',
    'image',
    'video',
    'document',
    'location',
    'contact',
    'interactive',
    'button_reply',
    'list_reply',
  ]
    .map((t) => `&type=${t}`)
    .join('');

beforeAll(async () => {
  sb = await startSandbox({ world: { seed: 7, contacts: 250, reports: 300 }, requestsPerMinute: 0 });
});
afterAll(() => sb.close());

describe('envelopes', () => {
  it('serves contacts as a bare array, caps the page size and sends the X- headers', async () => {
    const res = await get('/v2/customers?page=2&limit=1000');
    const body = (await res.json()) as Record<string, unknown>[];
    expect(Array.isArray(body)).toBe(true);
    expect(body).toHaveLength(100);
    expect(res.headers.get('x-limit')).toBe('100');
    expect(res.headers.get('x-page')).toBe('2');
    expect(res.headers.get('x-pages')).toBe('3');
    expect(res.headers.get('x-total')).toBe('250');
    expect(body[0]!['_id']).toBe(sb.world.contactId(100));
    const last = (await json('/v2/customers?page=3&limit=100')) as unknown[];
    expect(last).toHaveLength(50);
    expect(await json('/v2/customers?page=4&limit=100')).toEqual([]);
  });

  it('serves every metadata list in the shape the notes report', async () => {
    expect(await json('/v2/flows')).toEqual({ flows: sb.world.account.flows() });
    expect(await json('/v2/template/all')).toEqual({ templates: sb.world.account.templates() });
    const wallets = (await json('/v2/wallets')) as { wallets: unknown[] };
    expect(wallets.wallets.every((w) => typeof w === 'string')).toBe(true);
    const employees = (await json('/v2/employees')) as Record<string, unknown>[];
    expect(employees[0]).toHaveProperty('_id');
    expect(employees[0]).not.toHaveProperty('id');
    expect(Array.isArray(await json('/v2/whatsapp/integrations'))).toBe(true);
    expect(Array.isArray(await json('/v2/whatsapp/integrations/official'))).toBe(true);
    expect(Array.isArray(await json('/v2/custom-fields'))).toBe(true);
    const workflows = (await json('/v2/workflows')) as { workflows: Record<string, unknown>[] };
    expect(Array.isArray(workflows.workflows[0]!['stages'])).toBe(true);
  });

  it('serves the alternate shapes the sources also report', async () => {
    const alt = await startSandbox({
      world: { seed: 7, contacts: 5, envelopes: 'alternate' },
      requestsPerMinute: 0,
    });
    try {
      const h = { headers: { Authorization: `Bearer ${alt.token}` } };
      expect(await (await fetch(`${alt.url}/v2/whatsapp/integrations`, h)).json()).toHaveProperty(
        'integrations',
      );
      expect(await (await fetch(`${alt.url}/v2/customers`, h)).json()).toHaveProperty('data');
      const wallets = (await (await fetch(`${alt.url}/v2/wallets`, h)).json()) as { wallets: unknown[] };
      expect(wallets.wallets[0]).toHaveProperty('name');
    } finally {
      await alt.close();
    }
  });
});

describe('reports', () => {
  it('requires both dates, a window of at most 90 days and limit ≤ 49', async () => {
    for (const [query, field] of [
      ['end_date=2026-01-10', 'start_date'],
      ['start_date=2026-01-01', 'end_date'],
      ['start_date=2026-01-01&end_date=2026-04-02', 'end_date'],
      ['start_date=2026-01-01&end_date=2026-01-31&limit=50', 'limit'],
      ['start_date=ontem&end_date=2026-01-31', 'start_date'],
    ] as const) {
      const res = await get(`/v4/reports?${query}`);
      expect(res.status, query).toBe(400);
      const body = (await res.json()) as { message: string; errors: { field: string }[] };
      expect(body.errors[0]!.field).toBe(field);
    }
    expect((await get('/v4/reports?start_date=2026-01-01&end_date=2026-03-31&limit=49')).status).toBe(200);
  });

  it('pages with docs/pages and spreads reports over more than one window', async () => {
    const now = sb.world.now;
    const day = (d: number) => new Date(now - d * 86_400_000).toISOString().slice(0, 10);
    const body = (await json(`/v4/reports?start_date=${day(89)}&end_date=${day(0)}&limit=49&page=2`)) as {
      docs: unknown[];
      pages: number;
      page: number;
      total: number;
      limit: number;
    };
    expect(body.page).toBe(2);
    expect(body.limit).toBe(49);
    expect(body.pages).toBe(Math.ceil(body.total / 49));
    expect(body.total).toBeGreaterThan(0);
    expect(body.total).toBeLessThan(300);
  });
});

describe('messages history', () => {
  const window = 'start_date=2000-01-01';
  const heavy = () => {
    for (let i = 0; i < 250; i++)
      if (sb.world.messageCount(i) > 150 && !sb.world.variant(i).rotatedKey) return i;
    throw new Error('no heavy contact');
  };

  it('requires customer_id and limit within 1..100', async () => {
    expect((await get('/v2/messages/history')).status).toBe(400);
    const id = sb.world.contactId(0);
    expect((await get(`/v2/messages/history?customer_id=${id}&limit=101`)).status).toBe(400);
    expect((await get(`/v2/messages/history?customer_id=${id}&limit=0`)).status).toBe(400);
    expect((await get(`/v2/messages/history?customer_id=ffffffffffffffffffffffff`)).status).toBe(404);
  });

  it('answers a compact RSA-OAEP-256/A256GCM JWE with kid, decryptable with the JWK', async () => {
    const i = heavy();
    const body = (await json(
      `/v2/messages/history?customer_id=${sb.world.contactId(i)}&limit=100&${window}&${ALL}`,
    )) as { messages: string };
    expect(body.messages.split('.')).toHaveLength(5);
    const header = decodeProtectedHeader(body.messages);
    expect(header).toMatchObject({ alg: 'RSA-OAEP-256', enc: 'A256GCM', kid: sb.jwk.current.kid });
    const text = new TextDecoder().decode((await decrypt(body.messages)) as Uint8Array);
    const page = JSON.parse(text) as { created_at: string }[];
    expect(page).toHaveLength(100);
    const all = sb.world.expectedMessages(i, { from: 0, to: sb.world.now });
    expect(page).toEqual(all.slice(0, 100));
    expect(page[0]!.created_at >= page[99]!.created_at).toBe(true);
  });

  it('drops bot, media and other channels by default, and a comma list matches nothing', async () => {
    const i = heavy();
    const id = sb.world.contactId(i);
    const fetchPage = async (q: string) => {
      const { messages } = (await json(
        `/v2/messages/history?customer_id=${id}&limit=100&${window}&${q}`,
      )) as { messages: string };
      return messages
        ? (JSON.parse(new TextDecoder().decode((await decrypt(messages)) as Uint8Array)) as {
            sent_by: string;
            content: string;
          }[])
        : [];
    };
    const defaults = await fetchPage('');
    expect(defaults.length).toBeGreaterThan(0);
    expect(defaults.some((m) => m.sent_by === 'bot')).toBe(false);
    expect(defaults.some((m) => m.content.startsWith('%7B'))).toBe(false);
    const everything = await fetchPage(ALL);
    expect(everything.some((m) => m.sent_by === 'bot')).toBe(true);
    expect(everything.some((m) => m.content.startsWith('%7B'))).toBe(true);
    expect(await fetchPage('sent_by=bot,customer,operator')).toEqual([]);
  });

  it('answers {"messages": ""} past the last page, and only ~30 days without start_date', async () => {
    const i = heavy();
    const id = sb.world.contactId(i);
    expect(await json(`/v2/messages/history?customer_id=${id}&limit=100&page=9&${window}`)).toEqual({
      messages: '',
    });
    const recent = sb.world.expectedMessages(i, { from: sb.world.now - 30 * 86_400_000, to: sb.world.now });
    const all = sb.world.expectedMessages(i, { from: 0, to: sb.world.now });
    expect(recent.length).toBeLessThan(all.length);
    const body = (await json(`/v2/messages/history?customer_id=${id}&limit=100&${ALL}`)) as {
      messages: string;
    };
    const page = body.messages
      ? (JSON.parse(new TextDecoder().decode((await decrypt(body.messages)) as Uint8Array)) as unknown[])
      : [];
    expect(page).toEqual(recent.slice(0, 100));
  });

  it('serves each plaintext variant: Latin-1, double-encoded, raw control characters, rotated key', async () => {
    const find = (pred: (i: number) => boolean) => {
      for (let i = 0; i < 250; i++) if (sb.world.messageCount(i) > 0 && pred(i)) return i;
      throw new Error('variant missing');
    };
    const raw = async (i: number, jwk = sb.jwk.current) => {
      const { messages } = (await json(
        `/v2/messages/history?customer_id=${sb.world.contactId(i)}&limit=100&${window}&${ALL}`,
      )) as { messages: string };
      return { bytes: Buffer.from((await decrypt(messages, jwk)) as Uint8Array), jwe: messages };
    };
    const v = (i: number) => sb.world.variant(i);
    const accented = (i: number) =>
      sb.world.expectedMessages(i, { from: 0, to: sb.world.now }).some((m) => /[ãçéóáí]/.test(m.content));

    const latin = find(
      (i) =>
        v(i).charset === 'latin1' &&
        !v(i).rotatedKey &&
        !v(i).doubleEncoded &&
        !v(i).controlChars &&
        accented(i),
    );
    const { bytes: latinBytes } = await raw(latin);
    expect(() => new TextDecoder('utf-8', { fatal: true }).decode(latinBytes)).toThrow();
    expect(JSON.parse(latinBytes.toString('latin1'))).toEqual(
      sb.world.expectedMessages(latin, { from: 0, to: sb.world.now }).slice(0, 100),
    );

    const double = find((i) => v(i).doubleEncoded && !v(i).rotatedKey && v(i).charset === 'utf-8');
    const outer = JSON.parse((await raw(double)).bytes.toString('utf8')) as unknown;
    expect(typeof outer).toBe('string');
    expect(Array.isArray(JSON.parse(outer as string))).toBe(true);

    const control = find(
      (i) =>
        v(i).controlChars &&
        !v(i).rotatedKey &&
        sb.world.expectedMessages(i, { from: 0, to: sb.world.now }).some((m) => m.content.includes('\u0001')),
    );
    const controlText = (await raw(control)).bytes.toString(
      v(control).charset === 'latin1' ? 'latin1' : 'utf8',
    );
    expect(controlText).toContain('\u0001');
    expect(() => JSON.parse(controlText)).toThrow();

    const rotated = find((i) => v(i).rotatedKey);
    const { jwe } = await raw(rotated, sb.jwk.rotated);
    expect(decodeProtectedHeader(jwe).kid).toBe(sb.jwk.rotated.kid);
    await expect(decrypt(jwe, sb.jwk.current)).rejects.toThrow();
  });

  it('carries media as URL-encoded JSON', () => {
    const media = [];
    for (let i = 0; i < 50; i++)
      media.push(
        ...sb.world
          .expectedMessages(i, { from: 0, to: sb.world.now })
          .filter((m) => m.content.startsWith('%7B')),
      );
    expect(media.length).toBeGreaterThan(0);
    expect(JSON.parse(decodeURIComponent(media[0]!.content))).toHaveProperty('file_path');
  });
});

describe('auth, errors and limits', () => {
  it('answers 401 JSON for a missing or wrong token, 404 plain text for an unknown route', async () => {
    const missing = await get('/v2/flows', null);
    expect(missing.status).toBe(401);
    expect(await missing.json()).toHaveProperty('message');
    const wrong = await get('/v2/flows', 'not-the-token');
    expect(wrong.status).toBe(401);
    const body = (await wrong.json()) as { message: string; errors: unknown[] };
    expect(Array.isArray(body.errors)).toBe(true);
    const unknown = await get('/v2/contacts');
    expect(unknown.status).toBe(404);
    expect(await unknown.text()).toBe('Not Found');
  });

  it('answers 403 on history under a plan without it', async () => {
    sb.control.plan = 'pro';
    try {
      const res = await get(`/v2/messages/history?customer_id=${sb.world.contactId(0)}`);
      expect(res.status).toBe(403);
      expect(await res.json()).toHaveProperty('message');
    } finally {
      sb.control.plan = 'advanced';
    }
  });

  it('answers 429 from the token bucket, before routing, without Retry-After by default', async () => {
    const limited = await startSandbox({ world: { contacts: 1 }, requestsPerMinute: 60, burst: 3 });
    try {
      const statuses = [];
      for (let i = 0; i < 5; i++) {
        const res = await fetch(`${limited.url}/no/such/route`, {
          headers: { Authorization: `Bearer ${limited.token}` },
        });
        statuses.push(res.status);
        if (res.status === 429) expect(res.headers.get('retry-after')).toBeNull();
        await res.arrayBuffer();
      }
      expect(statuses).toEqual([404, 404, 404, 429, 429]);
      expect(limited.counters.rateLimited).toBe(2);
    } finally {
      await limited.close();
    }
  });
});

describe('faults', () => {
  const h = (s: Sandbox) => ({ headers: { Authorization: `Bearer ${s.token}` } });
  it('serves HTML 5xx, resets, truncated JSON, slow answers and a 429 storm, deterministically', async () => {
    const run = async () => {
      const s = await startSandbox({
        world: { contacts: 3 },
        requestsPerMinute: 0,
        faultSeed: 3,
        faults: {
          serverErrors: 0.2,
          resets: 0.1,
          truncated: 0.2,
          slow: { share: 0.1, ms: 20 },
          rateLimitStorm: { from: 1, count: 2 },
        },
      });
      const outcomes: string[] = [];
      try {
        for (let i = 0; i < 40; i++) {
          try {
            const res = await fetch(`${s.url}/v2/flows`, h(s));
            const text = await res.text();
            let kind = String(res.status);
            if (res.status >= 500) {
              expect(text).toMatch(/<html>/);
              kind += ':html';
            } else if (res.status === 200) {
              try {
                JSON.parse(text);
              } catch {
                kind += ':truncated';
              }
            }
            outcomes.push(kind);
          } catch {
            outcomes.push('reset');
          }
        }
        return { outcomes, faults: { ...s.counters.faults } };
      } finally {
        await s.close();
      }
    };
    const a = await run();
    expect(a.outcomes.slice(0, 2)).toEqual(['429', '429']);
    expect(a.outcomes).toContain('reset');
    expect(a.outcomes.some((o) => o.endsWith(':html'))).toBe(true);
    expect(a.outcomes).toContain('200:truncated');
    expect(a.outcomes).toContain('200');
    expect(a.faults.slow).toBeGreaterThan(0);
    const b = await run();
    expect(b.outcomes).toEqual(a.outcomes);
  });

  it('can ignore `page` (a page that repeats forever) and revoke the token mid-run', async () => {
    sb.control.faults = { repeatPages: true };
    try {
      const p1 = await json('/v2/customers?page=1&limit=100');
      const p2 = await json('/v2/customers?page=2&limit=100');
      expect(p2).toEqual(p1);
    } finally {
      sb.control.faults = {};
    }
    sb.control.tokenRevoked = true;
    try {
      expect((await get('/v2/flows')).status).toBe(401);
    } finally {
      sb.control.tokenRevoked = false;
    }
  });

  it('counts requests by route and status', async () => {
    sb.resetCounters();
    await json('/v2/flows');
    await get('/v2/nothing');
    expect(sb.count('/v2/flows', 200)).toBe(1);
    expect(sb.count('(unknown)', 404)).toBe(1);
    expect(sb.counters.total).toBe(2);
  });
});

describe('ground truth', () => {
  it('says exactly what a complete extraction contains', async () => {
    const truth = groundTruth(sb.world, {
      history: { from: 0, to: sb.world.now },
      reportsFrom: '2000-01-01',
      reportsTo: '2100-01-01',
    });
    expect(truth.records['contacts']).toBe(250);
    expect(truth.records['reports']).toBe(300);
    let pages = 0;
    for (let i = 0; i < 250; i++) pages += Math.ceil(sb.world.messageCount(i) / 100);
    expect(truth.records['messages_history']).toBe(pages);
  });
});
