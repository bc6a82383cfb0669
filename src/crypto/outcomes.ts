/**
 * What became of every history page a sync decrypted: pages kept encrypted are counted by reason, and a key
 * that reads nothing is stopped early. A rotated key is normal (some old pages stay unreadable while the rest
 * decrypt); a key that decrypts none of the first pages is the wrong key, and hours of budget would be spent
 * for ciphertext.
 */
import { UserError } from '../errors.js';
import type { HistoryKey, HistoryPage } from './jwe.js';

/** Pages that may fail before the first success before a key is judged wrong. */
export const WRONG_KEY_AFTER = 10;

export class DecryptOutcomes {
  decrypted = 0;
  /** Pages kept encrypted (or undecodable), by reason. */
  readonly kept: Record<string, number> = {};
  private readonly kids = new Set<string>();
  private failures = 0;

  constructor(private readonly key: HistoryKey | undefined) {}

  /** Counts a page; throws when a configured key has read none of the first pages. */
  record(page: HistoryPage): HistoryPage {
    if (!page.encrypted && !page.decrypt_error) {
      this.decrypted += 1;
      return page;
    }
    const reason = !this.key
      ? 'no private_key_jwk set'
      : page.kid && this.key.kid && page.kid !== this.key.kid
        ? `encrypted with key ${page.kid}, not the configured key ${this.key.kid}`
        : (page.decrypt_error ?? 'not decrypted');
    this.kept[reason] = (this.kept[reason] ?? 0) + 1;
    if (!this.key) return page;
    this.failures += 1;
    if (page.kid) this.kids.add(page.kid);
    if (this.decrypted === 0 && this.failures >= WRONG_KEY_AFTER) {
      const used = this.kids.size
        ? `they use key id${this.kids.size > 1 ? 's' : ''} ${[...this.kids].join(', ')}`
        : 'they carry no key id';
      throw new UserError(
        `the private key${this.key.kid ? ` (key id ${this.key.kid})` : ''} decrypted none of the first ${this.failures} history pages (${used}): set the private JWK of the account's current key (Apps e Integrações > API > Gerar Chave), or remove private_key_jwk to keep history encrypted`,
      );
    }
    return page;
  }
}
