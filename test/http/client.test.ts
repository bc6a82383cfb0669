/** src/http/client.ts: URL building. */
import { describe, expect, it } from 'vitest';
import { buildUrl } from '../../src/http/client.js';

describe('http helpers', () => {
  it('sends arrays as repeated keys', () => {
    expect(buildUrl('http://h', '/p', { type: ['text', 'audio'], page: 2, skip: undefined })).toBe(
      'http://h/p?type=text&type=audio&page=2',
    );
  });
});
