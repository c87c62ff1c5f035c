import { base64ToBytes, bytesToBase64Url } from '../../lib/crypto/base64';
import { ApiError } from '../errors';

/**
 * AES-256-GCM encryption of secrets at rest (signing keys, notification
 * channel and identity-provider credentials) with the SECRETS_KEY secret.
 * Sealed values look like `v1.<iv>.<ciphertext+tag>` (base64url), so the
 * format can evolve without guessing.
 */

const VERSION = 'v1';
const keyCache = new Map<string, Promise<CryptoKey>>();
const encoder = new TextEncoder();
const decoder = new TextDecoder();

export const secretsKeyHelp =
  'SECRETS_KEY is not set or is not base64 of 32 bytes: generate one with `openssl rand -base64 32` and set it (wrangler secret put SECRETS_KEY, or .dev.vars locally).';

/** 503 with a message saying how to fix the configuration (never a bare 500). */
export const secretsKeyMissing = () =>
  new ApiError(503, secretsKeyHelp, { code: 'secrets_key_missing' });

function importSecretsKey(secretsKey: string | undefined): Promise<CryptoKey> {
  const raw = secretsKey?.trim() ?? '';
  let cached = keyCache.get(raw);
  if (!cached) {
    let bytes: Uint8Array;
    try {
      bytes = base64ToBytes(raw);
    } catch {
      throw secretsKeyMissing();
    }
    if (bytes.length !== 32) throw secretsKeyMissing();
    cached = crypto.subtle.importKey('raw', bytes, 'AES-GCM', false, ['encrypt', 'decrypt']);
    keyCache.set(raw, cached);
  }
  return cached;
}

/** Encrypts `plaintext` with SECRETS_KEY; throws a 503 ApiError when the key is unusable. */
export async function encryptSecret(secretsKey: string | undefined, plaintext: string) {
  const key = await importSecretsKey(secretsKey);
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const sealed = await crypto.subtle.encrypt(
    { name: 'AES-GCM', iv },
    key,
    encoder.encode(plaintext),
  );
  return `${VERSION}.${bytesToBase64Url(iv)}.${bytesToBase64Url(new Uint8Array(sealed))}`;
}

/** Decrypts a value made by encryptSecret; throws when the key is wrong or the value tampered with. */
export async function decryptSecret(secretsKey: string | undefined, sealed: string) {
  const key = await importSecretsKey(secretsKey);
  const [version, iv, data] = sealed.split('.');
  if (version !== VERSION || !iv || !data) throw new Error('Unknown sealed secret format.');
  const plain = await crypto.subtle.decrypt(
    { name: 'AES-GCM', iv: base64ToBytes(iv) },
    key,
    base64ToBytes(data),
  );
  return decoder.decode(plain);
}
