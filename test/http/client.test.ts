/** src/http/client.ts: URL building and error-body descriptions. */
import { describe, expect, it } from 'vitest';
import { buildUrl, describeBody } from '../../src/http/client.js';

describe('http helpers', () => {
  it('sends arrays as repeated keys', () => {
    expect(buildUrl('http://h', '/p', { type: ['text', 'audio'], page: 2, skip: undefined })).toBe(
      'http://h/p?type=text&type=audio&page=2',
    );
  });

  it('describes JSON, plain-text and HTML bodies in one short line', () => {
    expect(
      describeBody('{"message":"Parâmetros inválidos","errors":[{"field":"limit","message":"max 49"}]}'),
    ).toBe('Parâmetros inválidos; limit: max 49');
    expect(describeBody('<html><body><h1>502</h1>\n<p>Bad   Gateway</p></body></html>')).toBe(
      '502 Bad Gateway',
    );
    expect(describeBody('Not Found')).toBe('Not Found');
    expect(describeBody('x'.repeat(500))).toHaveLength(201);
  });
});
