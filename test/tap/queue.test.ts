/** src/tap/queue.ts: the bounded queue between a parent and its partitions. */
import { describe, expect, it } from 'vitest';
import { AsyncQueue } from '../../src/tap/queue.js';

/** Lets every pending promise callback run (a check that something has NOT happened yet). */
const settle = () => new Promise((r) => setImmediate(r));

describe('bounded queue', () => {
  it('makes producers wait while full and ends consumers on close', async () => {
    const q = new AsyncQueue<number>(2);
    expect(await q.push(1)).toBe(true);
    expect(await q.push(2)).toBe(true);
    let third = false;
    const pushing = q.push(3).then(() => (third = true));
    await settle();
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
