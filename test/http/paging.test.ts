/** src/http/paging.ts: paging styles against a scripted client (no network: pure paging logic). */
import { describe, expect, it } from 'vitest';
import { MalformedAnswer } from '../../src/errors.js';
import type { ApiClient, ApiResponse, Query } from '../../src/http/client.js';
import { readPages, type ReadOptions } from '../../src/http/paging.js';

/** A client whose answers a function gives; records every query. */
function scripted(answer: (query: Query) => unknown, headers: Record<string, string> = {}) {
  const asked: Query[] = [];
  const client = {
    get: async (_path: string, query: Query = {}): Promise<ApiResponse> => {
      asked.push(query);
      return { status: 200, headers: new Headers(headers), body: answer(query), invalidUtf8: 0 };
    },
  } as unknown as ApiClient;
  return { client, asked };
}

function read(o: Partial<ReadOptions> & Pick<ReadOptions, 'client' | 'paging'>) {
  return readPages({
    path: '/things',
    query: {},
    extract: (body) => ({ records: body as Record<string, unknown>[], count: (body as unknown[]).length }),
    lookahead: 2,
    maxPages: { pages: 5, setting: 'max_things_pages' },
    ...o,
  });
}

async function all<T>(pages: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const p of pages) out.push(p);
  return out;
}

describe('paging', () => {
  it('stops a walk at a short page', async () => {
    const { client, asked } = scripted((q) => (Number(q['page']) < 3 ? [{ a: 1 }, { a: 2 }] : [{ a: 3 }]));
    const pages = await all(read({ client, paging: { kind: 'untilShortPage', limit: 2 } }));
    expect(pages).toHaveLength(3);
    expect(asked.map((q) => q['page'])).toEqual([1, 2, 3]);
  });

  it('bounds a walk without an end, naming the setting that raises the bound', async () => {
    let n = 0;
    const { client } = scripted(() => [{ n: n++ }, { n: n++ }]);
    await expect(all(read({ client, paging: { kind: 'untilShortPage', limit: 2 } }))).rejects.toThrow(
      /more than 5 pages without an end.*raise max_things_pages/,
    );
  });

  it('reports an answer of the wrong shape as a malformed answer, naming the endpoint', async () => {
    const { client } = scripted(() => ({ nothing: true }));
    const extract = () => {
      throw new MalformedAnswer('expected a list');
    };
    await expect(all(read({ client, paging: { kind: 'single' }, extract }))).rejects.toThrow(
      /GET \/things page 1: malformed answer: expected a list/,
    );
  });

  it('lets a bug in a record selector surface as itself, not as a malformed answer', async () => {
    const { client } = scripted(() => []);
    const extract = () => {
      throw new TypeError('cannot read properties of undefined');
    };
    const error = await all(read({ client, paging: { kind: 'single' }, extract })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TypeError);
  });

  it('reads date windows of at most windowDays over the declared range', async () => {
    const { client, asked } = scripted(() => ({ docs: [], pages: 1 }));
    await all(
      read({
        client,
        paging: { kind: 'dateWindows', windowDays: 90, limit: 49, defaultDays: 90 },
        window: { startDay: '2026-01-01', endDay: '2026-06-30' },
        extract: () => ({ records: [] }),
      }),
    );
    expect(asked.map((q) => `${String(q['start_date'])}..${String(q['end_date'])}`)).toEqual([
      '2026-01-01..2026-03-31',
      '2026-04-01..2026-06-29',
      '2026-06-30..2026-06-30',
    ]);
  });
});
