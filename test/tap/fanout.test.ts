/** src/tap/fanout.ts alone: partitions from in-memory parent pages, concurrency, resume, a changed order. */
import { describe, expect, it } from 'vitest';
import type { PageResult } from '../../src/http/paging.js';
import { silentLogger } from '../../src/log.js';
import { fanOut, FanOutError, type FanOutOptions } from '../../src/tap/fanout.js';

/** Parent pages of `size` records each, ids given in order. */
function pagesOf(ids: string[], size = 3): () => AsyncGenerator<PageResult> {
  return async function* () {
    for (let i = 0; i < ids.length; i += size)
      yield { records: ids.slice(i, i + size).map((id) => ({ id })) };
  };
}

function options(ids: string[], overrides: Partial<FanOutOptions> = {}): FanOutOptions & { read: string[] } {
  const read: string[] = [];
  return {
    read,
    parentName: 'parents',
    childName: 'children',
    parentPages: pagesOf(ids),
    keyOf: (r) => (typeof r['id'] === 'string' && r['id'] ? r['id'] : undefined),
    readPartition: async (id) => {
      await new Promise((r) => setImmediate(r));
      read.push(id);
    },
    concurrency: 3,
    log: silentLogger,
    ...overrides,
  };
}

const ids = (n: number): string[] => Array.from({ length: n }, (_, i) => `p${i}`);

describe('fan-out', () => {
  it('reads every partition once, at most `concurrency` at a time, and reports a watermark', async () => {
    let inFlight = 0;
    let peak = 0;
    const seenProgress: number[] = [];
    const o = options(ids(20), {
      readPartition: async (id) => {
        inFlight += 1;
        peak = Math.max(peak, inFlight);
        await new Promise((r) => setImmediate(r));
        inFlight -= 1;
        o.read.push(id);
      },
      onProgress: (progress) => void seenProgress.push(progress.next_position),
    });
    await fanOut(o);
    expect([...o.read].sort()).toEqual(ids(20).sort());
    expect(peak).toBeLessThanOrEqual(3);
    expect(peak).toBeGreaterThan(1);
    expect(seenProgress.at(-1)).toBe(20);
  });

  it('emits the parent pages in the first pass and finishes the parent before returning', async () => {
    const pages: number[] = [];
    let finished = false;
    const o = options(ids(7), {
      onParentPage: async (page) => void pages.push(page.records.length),
      afterFirstPass: async () => void (finished = true),
    });
    await fanOut(o);
    expect(pages).toEqual([3, 3, 1]);
    expect(finished).toBe(true);
  });

  it('skips a parent record without a key, and counts it done', async () => {
    const o = options(['a', '', 'c']);
    let last = -1;
    o.onProgress = (p) => void (last = p.next_position);
    await fanOut(o);
    expect(o.read.sort()).toEqual(['a', 'c']);
    expect(last).toBe(3);
  });

  it('resumes: skips what the interrupted run finished, when the order is unchanged', async () => {
    const o = options(ids(10), { resume: { next_position: 4, anchor_id: 'p3', done_positions: [6] } });
    await fanOut(o);
    expect(o.read.sort()).toEqual(['p4', 'p5', 'p7', 'p8', 'p9']);
  });

  it('re-reads the finished positions when the parent order changed since the interrupted run', async () => {
    const o = options(['x', ...ids(9)], {
      resume: { next_position: 4, anchor_id: 'p3', done_positions: [] },
    });
    await fanOut(o);
    // Positions 4.. first, then 0..3 again because the anchor (p3 at position 3) moved.
    expect(o.read.sort()).toEqual(['x', ...ids(9)].sort());
  });

  it('a failing partition stops the fan-out and carries how far it got', async () => {
    const o = options(ids(12), {
      concurrency: 1,
      readPartition: async (id) => {
        if (id === 'p5') throw new Error('boom');
        o.read.push(id);
      },
    });
    const error = await fanOut(o).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FanOutError);
    expect((error as FanOutError).cause).toEqual(new Error('boom'));
    expect((error as FanOutError).progress.next_position).toBe(5);
    expect(o.read).not.toContain('p6');
  });
});
