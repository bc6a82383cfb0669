/** src/http/body.ts: error bodies described in one short line (the size cap is in hostile.test.ts). */
import { describe, expect, it } from 'vitest';
import { describeBody } from '../../src/http/body.js';

describe('answer bodies', () => {
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
