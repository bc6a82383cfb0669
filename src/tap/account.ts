/**
 * Which account a config reads, to tie bookmarks to it: the API's URL and the account the token names (its
 * JWT's company claim, docs/api-notes.md §1.2), or, for a token that is no such JWT, a short one-way hash of
 * it. Never the token itself: this value is written to STATE.
 */
import { createHash } from 'node:crypto';
import type { TapConfig } from '../config.js';
import { API } from '../streams/api.js';

function claimOf(token: string): string | undefined {
  const payload = token.split('.')[1];
  if (!payload) return undefined;
  try {
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
    const value = claims[API.accountClaim];
    return typeof value === 'string' && value !== '' ? value : undefined;
  } catch {
    return undefined;
  }
}

export function accountOf(config: Pick<TapConfig, 'api_url' | 'access_token'>): string {
  const url = config.api_url.replace(/\/+$/, '');
  const claim = claimOf(config.access_token);
  if (claim) return `${url}#${API.accountClaim}=${claim}`;
  const hash = createHash('sha256').update(config.access_token).digest('hex').slice(0, 16);
  return `${url}#token-sha256=${hash}`;
}
