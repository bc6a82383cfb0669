/** src/crypto/jwe.ts: plaintext repair (decryption itself is tested against the sandbox's real JWE). */
import { describe, expect, it } from 'vitest';
import { decodePlaintext, escapeControlChars, parsePlaintextJson } from '../../src/crypto/jwe.js';

describe('plaintext repair', () => {
  it('escapes raw control characters inside strings only', () => {
    const raw = '[\n {"content": "a\u0001b\tc\u0000"}\n]';
    expect(() => JSON.parse(raw)).toThrow();
    expect(JSON.parse(escapeControlChars(raw))).toEqual([{ content: 'a\u0001b\tc\u0000' }]);
    expect(escapeControlChars('{"a": "x\\"\u0002"}')).toBe('{"a": "x\\"\\u0002"}');
  });

  it('unwraps JSON held in a JSON string', () => {
    expect(parsePlaintextJson(JSON.stringify(JSON.stringify([{ a: 1 }])))).toEqual([{ a: 1 }]);
    expect(parsePlaintextJson('"just text"')).toBe('just text');
  });

  it('decodes UTF-8 when valid, else Latin-1', () => {
    expect(decodePlaintext(Buffer.from('Atenção 👍', 'utf8'))).toBe('Atenção 👍');
    expect(decodePlaintext(Buffer.from('Atenção', 'latin1'))).toBe('Atenção');
  });
});
