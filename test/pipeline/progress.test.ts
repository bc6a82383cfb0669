/** src/pipeline/progress.ts: progress on stderr, in fractions of what the API says there is. */
import { describe, expect, it } from 'vitest';
import { ProgressView } from '../../src/pipeline/progress.js';

describe('progress view', () => {
  it('draws a bar per stream on a terminal, redrawing in place, as a fraction of all contacts', () => {
    let out = '';
    const view = new ProgressView({ isTTY: true, write: (t: string) => (out += t) });
    view.update({ stream: 'contacts', records: 100, total: 400 });
    // 5 of the 10 contacts seen so far, but of 400 in all: 1%, not 50%.
    view.update({
      stream: 'messages_history',
      records: 40,
      partitionsDone: 5,
      partitionsSeen: 10,
      partitionsTotal: 400,
    });
    view.stop();
    expect(out).toMatch(/contacts\s+█{6}░{18} 100\/400 records/);
    expect(out).toMatch(/messages_history\s+░{24} 5\/400 contacts, 40 records/);
    view.update({
      stream: 'messages_history',
      records: 80,
      partitionsDone: 400,
      partitionsSeen: 400,
      done: true,
    });
    view.stop();
    expect(out).toContain('\x1b[2A');
    expect(out).toMatch(/messages_history\s+█{24} 400\/400 contacts, 80 records done/);
  });

  it('without totals, says the count is still growing', () => {
    const view = new ProgressView({ write: () => undefined }, 60_000);
    view.update({ stream: 'messages_history', records: 7, partitionsDone: 3, partitionsSeen: 10 });
    expect(view.summaryLine()).toBe(
      'progress: 0/1 streams done; messages_history 3/10+ contacts, 7 records (30%)',
    );
  });

  it('prints a short plain line otherwise: done streams counted, running ones with moving counts', () => {
    let out = '';
    const view = new ProgressView({ write: (t: string) => (out += t) }, 0);
    view.update({ stream: 'flows', records: 4, done: true });
    view.update({ stream: 'contacts', records: 1200, total: 5000 });
    expect(out.trim().split('\n')).toEqual([
      'progress: 1/1 streams done',
      'progress: 1/2 streams done; contacts 1,200/5,000 records (24%)',
    ]);
  });
});
