/** src/singer/state.ts: resumable progress through partitions. */
import { describe, expect, it } from 'vitest';
import { PartitionTracker } from '../../src/singer/state.js';

describe('partition tracker', () => {
  it('keeps a watermark plus the few done beyond it', () => {
    const t = new PartitionTracker();
    t.complete(1, 'b');
    t.complete(3, 'd');
    expect(t.progress()).toEqual({ next_position: 0, anchor_id: null, done_positions: [1, 3] });
    t.complete(0, 'a');
    expect(t.progress()).toEqual({ next_position: 2, anchor_id: 'b', done_positions: [3] });
    const resumed = new PartitionTracker(2, [3], 'b');
    expect([resumed.isDone(1), resumed.isDone(2), resumed.isDone(3)]).toEqual([true, false, true]);
  });
});
