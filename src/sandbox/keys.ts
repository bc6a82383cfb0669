/** The account's encryption keys, as "Gerar Chave" makes them (§4): RSA pairs, the private half as a JWK. */
import { CompactEncrypt, exportJWK, generateKeyPair, type JWK } from 'jose';
import { webcrypto } from 'node:crypto';
import { QUIRKS } from './quirks.js';

type PublicKey = webcrypto.CryptoKey;

export interface AccountKey {
  kid: string;
  /** The private JWK the platform shows the user once. */
  privateJwk: JWK;
  publicKey: PublicKey;
}

export async function makeAccountKey(kid: string): Promise<AccountKey> {
  const { publicKey, privateKey } = await generateKeyPair(QUIRKS.jwe.alg, {
    extractable: true,
    modulusLength: 2048,
  });
  const privateJwk = { ...(await exportJWK(privateKey)), kid, use: 'enc', alg: QUIRKS.jwe.alg };
  return { kid, privateJwk, publicKey: publicKey as PublicKey };
}

/** Encrypts a plaintext as the API does: compact JWE, RSA-OAEP-256 + A256GCM, with the key's `kid`. */
export async function encryptForAccount(plaintext: Uint8Array, key: AccountKey): Promise<string> {
  return new CompactEncrypt(plaintext)
    .setProtectedHeader({ alg: QUIRKS.jwe.alg, enc: QUIRKS.jwe.enc, kid: key.kid })
    .encrypt(key.publicKey);
}
