/**
 * Redaction by value: every secret we were given (the token, the JWK as text and each of its parts) is
 * replaced wherever it appears, whatever code produced the text: logs, errors, URLs, quoted API answers.
 */
const MASK = '[REDACTED]';
/** Shorter values (such as the JWK's public exponent "AQAB") are too common to mask meaningfully. */
const MIN_SECRET_LENGTH = 8;
/** Members of a JWK that say which key it is, not what it is: a key id must stay readable in errors. */
const PUBLIC_JWK_MEMBERS = new Set(['kid', 'kty', 'use', 'alg', 'key_ops']);

export class Redactor {
  private secrets: string[] = [];

  add(value: unknown): void {
    if (typeof value === 'string') {
      for (const form of [
        value,
        value.trim(),
        encodeURIComponent(value),
        JSON.stringify(value).slice(1, -1),
      ]) {
        if (form.length >= MIN_SECRET_LENGTH && !this.secrets.includes(form)) this.secrets.push(form);
      }
    } else if (value && typeof value === 'object') {
      this.add(JSON.stringify(value));
      for (const [name, part] of Object.entries(value as Record<string, unknown>))
        if (!PUBLIC_JWK_MEMBERS.has(name)) this.add(part);
    }
    // Longest first, so a secret that contains another is masked whole.
    this.secrets.sort((a, b) => b.length - a.length);
  }

  redact(text: string): string {
    let out = text;
    for (const secret of this.secrets) if (out.includes(secret)) out = out.split(secret).join(MASK);
    return out;
  }
}

/** One redactor per process: secrets are registered as config is read, before anything is logged. */
export const redactor = new Redactor();
