/**
 * `--test`: the token (one page of the token stream) and, when a key is set, the key (one page of the key
 * stream for the first partition), read through the same stream definitions and reader as a sync, so every
 * envelope a sync accepts is accepted here too.
 */
import type { TapConfig } from '../config.js';
import { decryptHistory, loadHistoryKey, type HistoryPage } from '../crypto/jwe.js';
import { UserError } from '../errors.js';
import type { Logger } from '../log.js';
import { missingSettings } from '../streams/define.js';
import { CONNECTION_CHECK } from '../streams/index.js';
import { StreamReader } from './reader.js';

export async function checkConnection(config: TapConfig, log: Logger): Promise<void> {
  const key = config.private_key_jwk ? await loadHistoryKey(config.private_key_jwk) : undefined;
  let decrypted: HistoryPage | undefined;
  const reader = new StreamReader({
    config,
    log,
    burst: 3,
    maxRetryMs: 60_000,
    decrypt: async (jwe) => (decrypted = await decryptHistory(jwe, key)),
  });
  const { token: tokenStream, key: keyStream } = CONNECTION_CHECK;
  const first = await reader.firstPage(tokenStream);
  const records = first?.records ?? [];
  log.info(`token accepted: ${tokenStream.name} answered (${records.length} on the first page)`);
  if (!key) return;

  const missing = missingSettings(keyStream, config);
  if (missing.length > 0) {
    log.info(
      `private key is a valid RSA private key (set ${missing.join(', ')} to try it on ${keyStream.name})`,
    );
    return;
  }
  const id = records.map(keyStream.parent.key).find((k) => k !== undefined);
  if (!id) {
    log.info(`private key is a valid RSA private key (no ${tokenStream.name} record to try it on)`);
    return;
  }
  await reader.firstPage(keyStream, { partition: { [keyStream.parent.param]: id } });
  if (!decrypted) {
    log.info(
      `private key is a valid RSA private key (the first ${tokenStream.name} record has no ${keyStream.name} to try it on)`,
    );
    return;
  }
  if (decrypted.encrypted)
    throw new UserError(
      `the private key cannot read ${keyStream.name}: ${decrypted.decrypt_error ?? 'unknown reason'}`,
    );
  log.info(`private key decrypts ${keyStream.name}`);
}
