/** Pure logic: dates, redaction, plaintext repair, the limiter's AIMD, columns, partition tracking, the queue. */
import { describe, expect, it } from 'vitest';
import { columnsOf, rowLine } from '../../src/catalog/columns.js';
import { cleanToken } from '../../src/config.js';
import { decodePlaintext, escapeControlChars, parsePlaintextJson } from '../../src/crypto/jwe.js';
import { parseDay } from '../../src/dates.js';
import { buildUrl, describeBody } from '../../src/http/client.js';
import { RateLimiter } from '../../src/http/limiter.js';
import { Redactor } from '../../src/redact.js';
import { PartitionTracker } from '../../src/singer/state.js';
import { AsyncQueue } from '../../src/tap/queue.js';

describe('dates', () => {
  it('accepts YYYY-MM-DD, ISO date-times and DD/MM/YYYY; names the day as written', () => {
    expect(parseDay('2026-07-01', 'start_date')).toBe('2026-07-01');
    expect(parseDay('2026-07-01T23:30:00-03:00', 'start_date')).toBe('2026-07-01');
    expect(parseDay('2026-07-01T10:00:00.000Z', 'start_date')).toBe('2026-07-01');
    expect(parseDay('05/03/2026', 'start_date')).toBe('2026-03-05');
    for (const bad of [
      '2026-02-30',
      '30/02/2026',
      '2026/07/01',
      '07/01/26',
      'yesterday',
      '',
      '2026-07-01T25:00:00Z',
    ]) {
      expect(() => parseDay(bad, 'start_date'), bad).toThrow(/is not a date/);
    }
  });
});

describe('redaction', () => {
  it('masks a secret and every part of an object secret, in any encoding, longest first', () => {
    const r = new Redactor();
    r.add('tok.en-with/slashes+and=signs');
    r.add({ kty: 'RSA', e: 'AQAB', d: 'private-exponent-value', p: 'prime-one-value' });
    const text = `Bearer tok.en-with/slashes+and=signs ${encodeURIComponent('tok.en-with/slashes+and=signs')} d=private-exponent-value p=prime-one-value e=AQAB`;
    expect(r.redact(text)).toBe('Bearer [REDACTED] [REDACTED] d=[REDACTED] p=[REDACTED] e=AQAB');
  });

  it('strips invisible characters pasted with a token', () => {
    expect(cleanToken('\u200beyJhbGciOi.abc \n')).toBe('eyJhbGciOi.abc');
  });
});

describe('plaintext repair', () => {
  it('escapes raw control characters inside strings only', () => {
    const raw = '[\n {"content": "a\u0001b\tc\u0000"}\n]';
    expect(() => JSON.parse(raw)).toThrow();
    expect(JSON.parse(escapeControlChars(raw))).toEqual([{ content: 'a\u0001b\tc\u0000' }]);
    expect(escapeControlChars('{"a": "x\\"\u0002"}')).toBe('{"a": "x\\"\\u0002"}');
  });

  it('unwraps JSON held in a JSON string', () => {
    expect(parsePlaintextJson(JSON.stringify(JSON.stringify([{ a: 1 }])))).toEqual([{ a: 1 }]);
    expect(parsePlaintextJson('"just text"')).toBe('just text');
  });

  it('decodes UTF-8 when valid, else Latin-1', () => {
    expect(decodePlaintext(Buffer.from('Atenção 👍', 'utf8'))).toBe('Atenção 👍');
    expect(decodePlaintext(Buffer.from('Atenção', 'latin1'))).toBe('Atenção');
  });
});

describe('http helpers', () => {
  it('sends arrays as repeated keys', () => {
    expect(buildUrl('http://h', '/p', { type: ['text', 'audio'], page: 2, skip: undefined })).toBe(
      'http://h/p?type=text&type=audio&page=2',
    );
  });

  it('describes JSON, plain-text and HTML bodies in one short line', () => {
    expect(
      describeBody('{"message":"Parâmetros inválidos","errors":[{"field":"limit","message":"max 49"}]}'),
    ).toBe('Parâmetros inválidos; limit: max 49');
    expect(describeBody('<html><body><h1>502</h1>\n<p>Bad   Gateway</p></body></html>')).toBe(
      '502 Bad Gateway',
    );
    expect(describeBody('Not Found')).toBe('Not Found');
    expect(describeBody('x'.repeat(500))).toHaveLength(201);
  });
});

describe('rate limiter (AIMD)', () => {
  it('cuts the rate once per congestion event, never below a tenth, and wins it back', () => {
    let now = 0;
    const limiter = new RateLimiter({ requestsPerMinute: 60, burst: 1, now: () => now });
    limiter.throttled();
    expect(limiter.currentPerMinute).toBeCloseTo(42);
    limiter.throttled(); // same event
    expect(limiter.currentPerMinute).toBeCloseTo(42);
    for (let i = 0; i < 20; i++) {
      now += 2000;
      limiter.throttled();
    }
    expect(limiter.currentPerMinute).toBe(6);
    for (let i = 0; i < 500; i++) limiter.succeeded();
    expect(limiter.currentPerMinute).toBe(60);
  });

  it('paces requests at the configured rate after the burst', async () => {
    let now = 0;
    const limiter = new RateLimiter({ requestsPerMinute: 600_000, burst: 2, now: () => now });
    await limiter.acquire();
    await limiter.acquire();
    let third = false;
    const pending = limiter.acquire().then(() => (third = true));
    await new Promise((r) => setTimeout(r, 5));
    expect(third).toBe(false);
    now += 1000;
    await pending;
    expect(third).toBe(true);
  });
});

describe('catalog columns', () => {
  it('types known fields, STRUCTs for known objects, and sends the rest to _extra', () => {
    const columns = columnsOf({
      type: 'object',
      properties: {
        id: { type: ['integer', 'null'] },
        at: { type: 'string', format: 'date-time' },
        address: { type: 'object', properties: { city: { type: 'string' } } },
        Id: { type: 'string' },
      },
    });
    expect(columns.map((c) => c.name)).toEqual(['id', 'at', 'address']);
    const line = JSON.parse(
      rowLine({ id: 'x', at: 'not a date', address: { city: 'Belém', geo: 1 }, other: true }, columns, 7),
    ) as Record<string, unknown>;
    expect(line).toEqual({
      address: { city: 'Belém' },
      _sdc_sequence: 7,
      _extra: { id: 'x', at: 'not a date', address: { geo: 1 }, other: true },
    });
  });
});

describe('partition tracker', () => {
  it('keeps a watermark plus the few done beyond it', () => {
    const t = new PartitionTracker();
    t.complete(1, 'b');
    t.complete(3, 'd');
    expect(t.bookmark(9)).toEqual({ version: 9, next_position: 0, anchor_id: null, done_positions: [1, 3] });
    t.complete(0, 'a');
    expect(t.bookmark(9)).toEqual({ version: 9, next_position: 2, anchor_id: 'b', done_positions: [3] });
    const resumed = new PartitionTracker(2, [3], 'b');
    expect([resumed.isDone(1), resumed.isDone(2), resumed.isDone(3)]).toEqual([true, false, true]);
  });
});

describe('bounded queue', () => {
  it('makes producers wait while full and ends consumers on close', async () => {
    const q = new AsyncQueue<number>(2);
    expect(await q.push(1)).toBe(true);
    expect(await q.push(2)).toBe(true);
    let third = false;
    const pushing = q.push(3).then(() => (third = true));
    await new Promise((r) => setTimeout(r, 5));
    expect(third).toBe(false);
    const seen: number[] = [];
    const consuming = (async () => {
      for await (const n of q) seen.push(n);
    })();
    await pushing;
    q.close();
    await consuming;
    expect(seen).toEqual([1, 2, 3]);
  });
});

describe('progress view', () => {
  it('draws a bar per stream on a terminal, redrawing in place', async () => {
    const { ProgressView } = await import('../../src/pipeline/progress.js');
    let out = '';
    const view = new ProgressView({ isTTY: true, write: (t: string) => (out += t) });
    view.update({ stream: 'contacts', records: 100 });
    view.update({ stream: 'messages_history', records: 40, partitionsDone: 5, partitionsSeen: 10 });
    view.stop();
    view.update({
      stream: 'messages_history',
      records: 80,
      partitionsDone: 10,
      partitionsSeen: 10,
      done: true,
    });
    view.stop();
    expect(out).toContain('messages_history');
    expect(out).toMatch(/█{12}░{12} 40 records \(5\/10 contacts\)/);
    expect(out).toContain('\x1b[2A');
  });

  it('prints plain periodic lines otherwise', async () => {
    const { ProgressView } = await import('../../src/pipeline/progress.js');
    let out = '';
    const view = new ProgressView({ write: (t: string) => (out += t) }, 0);
    view.update({ stream: 'flows', records: 4, done: true });
    expect(out).toBe('progress: flows 4 records done\n');
  });
});
