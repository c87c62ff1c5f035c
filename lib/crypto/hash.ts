import { bytesToBase64Url } from './base64';

const encoder = new TextEncoder();

/** SHA-256 of a UTF-8 string as lowercase hex: how tokens are stored and looked up. */
export async function sha256Hex(value: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', encoder.encode(value)));
  let hex = '';
  for (const byte of digest) hex += byte.toString(16).padStart(2, '0');
  return hex;
}

/** `byteLength` bytes from the CSPRNG. */
export function randomBytes(byteLength: number): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(byteLength));
}

/** An unguessable opaque token: 256 bits of CSPRNG, base64url, optionally prefixed. */
export function randomToken(prefix = '', byteLength = 32): string {
  return prefix + bytesToBase64Url(randomBytes(byteLength));
}

/** Compares two byte strings in time independent of where they differ. */
export function timingSafeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= (a[i] ?? 0) ^ (b[i] ?? 0);
  return diff === 0;
}
