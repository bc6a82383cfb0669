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
  private pattern: RegExp | undefined;

  /** Registers a secret (and every part of an object secret); `minLength` lowers the bound for a known secret. */
  add(value: unknown, minLength = MIN_SECRET_LENGTH): void {
    if (typeof value === 'string') {
      for (const form of [
        value,
        value.trim(),
        encodeURIComponent(value),
        JSON.stringify(value).slice(1, -1),
      ]) {
        if (form.length >= minLength && !this.secrets.includes(form)) this.secrets.push(form);
      }
    } else if (value && typeof value === 'object') {
      this.add(JSON.stringify(value));
      for (const [name, part] of Object.entries(value as Record<string, unknown>))
        if (!PUBLIC_JWK_MEMBERS.has(name)) this.add(part);
    }
    // Longest first, so a secret that contains another is masked whole.
    this.secrets.sort((a, b) => b.length - a.length);
    const escaped = this.secrets.map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
    // Case-insensitive: a server (or a proxy) may echo a secret lower- or upper-cased.
    this.pattern = escaped.length ? new RegExp(escaped.join('|'), 'gi') : undefined;
  }

  redact(text: string): string {
    return this.pattern ? text.replace(this.pattern, MASK) : text;
  }
}

/** One redactor per process: secrets are registered as config is read, before anything is logged. */
export const redactor = new Redactor();
