/** src/pipeline/progress.ts: progress on stderr. */
import { describe, expect, it } from 'vitest';
import { ProgressView } from '../../src/pipeline/progress.js';

describe('progress view', () => {
  it('draws a bar per stream on a terminal, redrawing in place', () => {
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

  it('prints plain periodic lines otherwise', () => {
    let out = '';
    const view = new ProgressView({ write: (t: string) => (out += t) }, 0);
    view.update({ stream: 'flows', records: 4, done: true });
    expect(out).toBe('progress: flows 4 records done\n');
  });
});
