/**
 * Messages history decryption (docs/api-notes.md §4): compact JWE, RSA-OAEP-256, with the plaintext quirks
 * seen live: Latin-1 or UTF-8, raw control characters inside strings, JSON wrapped in a JSON string.
 */
import type * as Jose from 'jose';
import { ConfigError } from '../errors.js';

/** jose, loaded on first use: a sync without history (or the tap's --about) does not pay for loading it. */
let joseModule: Promise<typeof Jose> | undefined;
const jose = (): Promise<typeof Jose> => (joseModule ??= import('jose'));

/** Only what the API is known to use; anything else in a header is refused, not guessed at. */
const KEY_ALGORITHMS = ['RSA-OAEP-256'];
const CONTENT_ALGORITHMS = [
  'A256GCM',
  'A192GCM',
  'A128GCM',
  'A256CBC-HS512',
  'A192CBC-HS384',
  'A128CBC-HS256',
];

export interface HistoryKey {
  key: Awaited<ReturnType<typeof Jose.importJWK>>;
  kid?: string;
}

/** Validates the user's JWK as an RSA private key for RSA-OAEP-256 (before any request is made). */
export async function loadHistoryKey(jwk: Record<string, unknown>): Promise<HistoryKey> {
  if (jwk['kty'] !== 'RSA') throw new ConfigError('private_key_jwk must be an RSA key (kty "RSA")');
  for (const part of ['n', 'e', 'd']) {
    if (typeof jwk[part] !== 'string' || !jwk[part]) {
      throw new ConfigError(
        `private_key_jwk has no "${part}": it must be the private key${part === 'd' ? ', not the public one' : ''}`,
      );
    }
  }
  if (jwk['alg'] !== undefined && !KEY_ALGORITHMS.includes(String(jwk['alg']))) {
    throw new ConfigError(
      `private_key_jwk is for ${String(jwk['alg'])}; history is encrypted with RSA-OAEP-256`,
    );
  }
  try {
    const key = await (await jose()).importJWK({ ...jwk, alg: 'RSA-OAEP-256' }, 'RSA-OAEP-256');
    return typeof jwk['kid'] === 'string' ? { key, kid: jwk['kid'] } : { key };
  } catch (error) {
    throw new ConfigError(`private_key_jwk is not a usable RSA private key (${(error as Error).message})`);
  }
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** UTF-8 when the bytes are valid UTF-8, else Latin-1 (murano-crm saw Latin-1 live; others decode UTF-8). */
export function decodePlaintext(bytes: Uint8Array): string {
  try {
    return strictUtf8.decode(bytes);
  } catch {
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
  }
}

/** Escapes raw control characters (U+0000–U+001F) inside JSON strings; whitespace between tokens stays. */
export function escapeControlChars(text: string): string {
  if (!/[\u0000-\u001f]/.test(text)) return text;
  let out = '';
  let inString = false;
  let escaped = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    const code = ch.charCodeAt(0);
    if (inString) {
      if (escaped) escaped = false;
      else if (ch === '\\') escaped = true;
      else if (ch === '"') inString = false;
      else if (code < 0x20) {
        out += '\\u' + code.toString(16).padStart(4, '0');
        continue;
      }
    } else if (ch === '"') inString = true;
    out += ch;
  }
  return out;
}

/** Parses plaintext JSON, repairing control characters and unwrapping JSON held in a JSON string. */
export function parsePlaintextJson(text: string): unknown {
  let value: unknown = JSON.parse(escapeControlChars(text));
  for (let depth = 0; typeof value === 'string' && depth < 5; depth++) {
    const inner = value.trim();
    if (!inner.startsWith('[') && !inner.startsWith('{')) break;
    value = JSON.parse(escapeControlChars(inner));
  }
  return value;
}

export interface HistoryPage {
  /** Decrypted JSON (normalised) when it worked; otherwise the JWE as received. */
  data: string;
  encrypted: boolean;
  kid: string | null;
  decrypt_error: string | null;
  /** How many messages the page holds, when known (decrypted to an array). */
  count?: number;
}

export async function decryptHistory(jwe: string, key: HistoryKey | undefined): Promise<HistoryPage> {
  const { compactDecrypt, decodeProtectedHeader } = await jose();
  let kid: string | null = null;
  try {
    const header = decodeProtectedHeader(jwe);
    kid = typeof header.kid === 'string' ? header.kid : null;
  } catch {
    return {
      data: jwe,
      encrypted: true,
      kid,
      decrypt_error: key ? 'not a compact JWE: kept as received' : null,
    };
  }
  if (!key) return { data: jwe, encrypted: true, kid, decrypt_error: null };
  if (kid && key.kid && kid !== key.kid) {
    return {
      data: jwe,
      encrypted: true,
      kid,
      decrypt_error: `encrypted with key ${kid}, not the configured key ${key.kid} (rotated by "Gerar Chave"?): keep that key's JWK to read it`,
    };
  }
  let plaintext: string;
  try {
    const result = await compactDecrypt(jwe, key.key, {
      keyManagementAlgorithms: KEY_ALGORITHMS,
      contentEncryptionAlgorithms: CONTENT_ALGORITHMS,
    });
    plaintext = decodePlaintext(result.plaintext);
  } catch (error) {
    return {
      data: jwe,
      encrypted: true,
      kid,
      decrypt_error: `decryption failed: ${(error as Error).message}`,
    };
  }
  try {
    const value = parsePlaintextJson(plaintext);
    const page: HistoryPage = { data: JSON.stringify(value), encrypted: false, kid, decrypt_error: null };
    if (Array.isArray(value)) page.count = value.length;
    return page;
  } catch (error) {
    // Decrypted but not JSON even after repair: keep the text rather than lose it.
    return {
      data: plaintext,
      encrypted: false,
      kid,
      decrypt_error: `decrypted text is not JSON: ${(error as Error).message}`,
    };
  }
}
