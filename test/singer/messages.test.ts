/** src/singer/messages.ts: the JSON-lines sink writes exactly what JSON.stringify would, in order. */
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { JsonLinesSink, type SingerMessage } from '../../src/singer/messages.js';

describe('JSON lines sink', () => {
  it('writes RECORD lines (built around the record) byte for byte as JSON.stringify, other messages too', async () => {
    const out = new PassThrough();
    let text = '';
    out.on('data', (d: Buffer) => (text += d.toString()));
    const sink = new JsonLinesSink(out);
    const messages: SingerMessage[] = [
      { type: 'SCHEMA', stream: 'a"b', schema: { type: 'object' }, key_properties: ['x'] },
      {
        type: 'RECORD',
        stream: 'a"b',
        record: { x: 1, y: 'é\n"' },
        version: 5,
        time_extracted: '2026-01-01T00:00:00.000Z',
      },
      {
        type: 'RECORD',
        stream: 'a"b',
        record: { x: 2 },
        version: 6,
        time_extracted: '2026-01-01T00:00:00.000Z',
      },
      { type: 'RECORD', stream: 'c', record: {}, time_extracted: 't' },
      { type: 'RECORD', stream: 'c', record: { z: null } },
      { type: 'STATE', value: { bookmarks: {} } },
    ];
    for (const m of messages) await sink.write(m);
    await sink.flush();
    expect(text).toBe(messages.map((m) => JSON.stringify(m) + '\n').join(''));
  });
});
