/** `--test`: the token (one request) and, when set, the key (one history page, decrypted). */
import type { TapConfig } from '../config.js';
import { decryptHistory, loadHistoryKey } from '../crypto/jwe.js';
import { ApiClient } from '../http/client.js';
import { RateLimiter } from '../http/limiter.js';
import { UserError } from '../errors.js';
import type { Logger } from '../log.js';
import { HISTORY_FILTERS } from '../streams/messages_history.js';

export async function checkConnection(config: TapConfig, log: Logger): Promise<void> {
  const key = config.private_key_jwk ? await loadHistoryKey(config.private_key_jwk) : undefined;
  const client = new ApiClient({
    baseUrl: config.api_url,
    token: config.access_token,
    log,
    limiter: new RateLimiter({ requestsPerMinute: config.requests_per_minute, burst: 3 }),
    timeoutMs: config.request_timeout_seconds * 1000,
    maxRetryMs: Math.min(60_000, config.max_retry_seconds * 1000),
    backoffMs: config.retry_backoff_seconds * 1000,
  });
  const { body, headers } = await client.get('/v2/customers', { page: 1, limit: 1 });
  log.info(`token accepted: ${headers.get('x-total') ?? 'some'} contacts`);
  if (!key) return;
  const first = Array.isArray(body) ? (body[0] as Record<string, unknown> | undefined) : undefined;
  const id = first?.['_id'] ?? first?.['id'];
  if (!id) {
    log.info('private key is a valid RSA private key (no contact to try it on)');
    return;
  }
  const history = await client.get('/v2/messages/history', {
    customer_id: String(id),
    page: 1,
    limit: 1,
    start_date: '2000-01-01',
    end_date: config.end_date,
    ...HISTORY_FILTERS,
  });
  const jwe = (history.body as Record<string, unknown> | null)?.['messages'];
  if (typeof jwe !== 'string' || !jwe) {
    log.info('private key is a valid RSA private key (the first contact has no history to try it on)');
    return;
  }
  const page = await decryptHistory(jwe, key);
  if (page.encrypted)
    throw new UserError(`the private key cannot read history: ${page.decrypt_error ?? 'unknown reason'}`);
  log.info('private key decrypts messages history');
}
