/** src/redact.ts and the token cleaning in src/config.ts. */
import { describe, expect, it } from 'vitest';
import { cleanToken } from '../src/config.js';
import { Redactor } from '../src/redact.js';

describe('redaction', () => {
  it('masks a secret and every part of an object secret, in any encoding, longest first', () => {
    const r = new Redactor();
    r.add('tok.en-with/slashes+and=signs');
    r.add({ kty: 'RSA', e: 'AQAB', d: 'private-exponent-value', p: 'prime-one-value' });
    const text = `Bearer tok.en-with/slashes+and=signs ${encodeURIComponent('tok.en-with/slashes+and=signs')} d=private-exponent-value p=prime-one-value e=AQAB`;
    expect(r.redact(text)).toBe('Bearer [REDACTED] [REDACTED] d=[REDACTED] p=[REDACTED] e=AQAB');
  });

  it("keeps a JWK's key id readable: it names the key, it is not the key", () => {
    const r = new Redactor();
    r.add({ kty: 'RSA', kid: 'conversas-2026-key-2', d: 'private-exponent-value' });
    expect(r.redact('configured key conversas-2026-key-2, d=private-exponent-value')).toBe(
      'configured key conversas-2026-key-2, d=[REDACTED]',
    );
  });

  it('strips invisible characters pasted with a token', () => {
    expect(cleanToken('\u200beyJhbGciOi.abc \n')).toBe('eyJhbGciOi.abc');
    // Pasted with the header's scheme: the scheme goes.
    expect(cleanToken('Bearer eyJhbGciOi.abc')).toBe('eyJhbGciOi.abc');
    expect(cleanToken('\u200b bearer  eyJhbGciOi.abc')).toBe('eyJhbGciOi.abc');
  });
});
