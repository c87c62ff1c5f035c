import { bytesToBase64Url } from '../../../lib/crypto/base64';
import { randomToken } from '../../../lib/crypto/hash';

/** A fresh PKCE verifier (RFC 7636): 43 base64url characters. */
export const newVerifier = () => randomToken('', 32);

export async function s256Challenge(verifier: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier));
  return bytesToBase64Url(new Uint8Array(digest));
}
