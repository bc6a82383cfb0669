/** src/singer/state.ts: resumable progress through partitions. */
import { describe, expect, it } from 'vitest';
import {
  completed,
  parseState,
  PartitionTracker,
  unfinishedStreams,
  withoutProgress,
} from '../../src/singer/state.js';

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

describe('STATE with incremental bookmarks', () => {
  const lastingBookmark = {
    replication_key: 'created_at',
    replication_key_value: '2026-11-20T00:00:00.000Z',
    last_full_sync_at: '2026-11-18T00:00:00.000Z',
  };

  it('keeps what lasts between runs, and tells a run under way from a completed one', () => {
    const state = parseState({
      type: 'STATE',
      value: {
        bookmarks: {
          messages: {
            ...lastingBookmark,
            version: 7,
            next_position: 3,
            run: {
              mode: 'incremental',
              since: '2026-11-17T00:00:00.000Z',
              until: '2026-11-20T00:00:00.000Z',
            },
          },
          contacts: { version: 7, done: true },
          reports: lastingBookmark,
        },
      },
    });
    expect(unfinishedStreams(state).sort()).toEqual(['contacts', 'messages']);
    expect(withoutProgress(state)).toEqual({
      bookmarks: { messages: lastingBookmark, reports: lastingBookmark },
    });
    expect(unfinishedStreams(withoutProgress(state))).toEqual([]);
  });

  it('refuses a bookmark that would silently restart from the wrong place, in one line', () => {
    expect(() => parseState({ bookmarks: { messages: { replication_key_value: 'yesterday' } } })).toThrow(
      'state bookmark of messages: "replication_key_value" must be an RFC 3339 date-time',
    );
    expect(() => parseState({ bookmarks: { messages: { version: '3' } } })).toThrow(
      /"version" must be a positive whole number \(got "3"\); this STATE was not written by this tap \(start over without it: conversas sync --fresh/,
    );
    // Tampered progress is refused, never trusted.
    for (const bad of [
      { version: -1 },
      { version: 0 },
      { version: 2 ** 70 },
      { version: 1.5 },
      { version: 7, next_position: -3 },
      { version: 7, done_positions: [1, 'x'] },
      { version: 7, run: { mode: 'sometimes', until: '2026-11-20T00:00:00Z' } },
      { version: 7, run: { mode: 'full', until: 'tomorrow' } },
      { last_full_sync_at: 'never' },
      { next: { replication_key_value: 'soon' } },
    ])
      expect(() => parseState({ bookmarks: { messages: bad } }), JSON.stringify(bad)).toThrow(/--fresh/);
    // A damaged fingerprint only costs requests: dropped, not fatal.
    expect(
      parseState({ bookmarks: { m: { ...lastingBookmark, open_fingerprint: ['a'] } } }).bookmarks['m'],
    ).toEqual(lastingBookmark);
  });
});

describe('a completed sync', () => {
  it('moves each bookmark to the one its stream waited with, and keeps none for a FULL_TABLE stream', () => {
    const next = {
      replication_key: 'created_at',
      replication_key_value: '2026-11-21T00:00:00.000Z',
      last_full_sync_at: '2026-11-18T00:00:00.000Z',
    };
    const state = parseState({
      bookmarks: {
        messages: {
          replication_key: 'created_at',
          replication_key_value: '2026-11-20T00:00:00.000Z',
          last_full_sync_at: '2026-11-18T00:00:00.000Z',
          version: 9,
          done: true,
          next,
        },
        contacts: { version: 9, done: true },
        reports: {
          replication_key_value: '2026-11-19T00:00:00.000Z',
          last_full_sync_at: '2026-11-18T00:00:00.000Z',
        },
      },
    });
    expect(completed(state)).toEqual({
      bookmarks: {
        messages: next,
        reports: {
          replication_key_value: '2026-11-19T00:00:00.000Z',
          last_full_sync_at: '2026-11-18T00:00:00.000Z',
        },
      },
    });
  });
});
