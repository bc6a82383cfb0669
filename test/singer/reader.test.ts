/** src/singer/reader.ts: Singer input split as bytes, and RECORD lines recognised without parsing them. */
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { readLines, readSingerInput } from '../../src/singer/reader.js';

const lines = async (chunks: (string | Buffer)[]): Promise<string[]> => {
  const out: string[] = [];
  for await (const batch of readLines(Readable.from(chunks.map((c) => Buffer.from(c)))))
    for (const line of batch) out.push(line.toString());
  return out;
};

describe('Singer input', () => {
  it('splits lines across chunks, drops a CR before a newline, keeps a last line without one', async () => {
    expect(await lines(['a\r\nb', 'c\n', '\nd'])).toEqual(['a', 'bc', '', 'd']);
    const long = 'x'.repeat(200_000);
    const pieces = long.match(/.{1,1000}/g)!;
    expect(await lines([...pieces, '\ny\n'])).toEqual([long, 'y']);
    // A character split between chunks, and a CR and its LF in two chunks.
    const e = Buffer.from('é');
    expect(
      await lines([e.subarray(0, 1), Buffer.concat([e.subarray(1), Buffer.from('ção\r')]), '\n']),
    ).toEqual(['éção']);
  });

  it('hands RECORD lines on unparsed only when asked, and names a line that is not JSON', async () => {
    const input = [
      '{"type":"SCHEMA","stream":"s","schema":{},"key_properties":[]}',
      '{"type":"RECORD","stream":"s","record":{"id":1},"version":5}',
      '',
      '{"type":"STATE","value":{}}',
    ].join('\n');
    const read = async (raw: boolean) => {
      const out: string[] = [];
      for await (const batch of readSingerInput(Readable.from([Buffer.from(input)]), { raw }))
        for (const m of batch) out.push(m.type);
      return out;
    };
    expect(await read(true)).toEqual(['SCHEMA', 'RAW_RECORD', 'STATE']);
    expect(await read(false)).toEqual(['SCHEMA', 'RECORD', 'STATE']);
    const bad = readSingerInput(Readable.from([Buffer.from('{"type":"STATE","value":{}}\nnot json\n')]));
    await expect(async () => {
      for await (const batch of bad) void batch;
    }).rejects.toThrow(/input line 2 is not JSON/);
  });
});
