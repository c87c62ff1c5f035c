import { randomToken, sha256Hex } from '../../lib/crypto/hash';

/** Prefix that makes a leaked join token recognisable (secret scanners, logs). */
export const JOIN_TOKEN_PREFIX = 'etj_';

/** A fresh 256-bit join token and the SHA-256 hash that is all the edge keeps of it. */
export async function newJoinToken(): Promise<{ token: string; hash: string }> {
  const token = randomToken(JOIN_TOKEN_PREFIX);
  return { token, hash: await sha256Hex(token) };
}
