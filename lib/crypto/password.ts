import { base64ToBytes, bytesToBase64 } from './base64';
import { randomBytes, timingSafeEqual } from './hash';

/**
 * PBKDF2-SHA256 with a per-user salt. 100000 iterations is the most workerd's
 * WebCrypto accepts (it refuses higher counts), so it is also our count.
 */
export const PBKDF2_ITERATIONS = 100_000;
const SALT_BYTES = 16;
const HASH_BITS = 256;
const encoder = new TextEncoder();

async function derive(password: string, salt: Uint8Array, iterations: number): Promise<Uint8Array> {
  const key = await crypto.subtle.importKey('raw', encoder.encode(password), 'PBKDF2', false, [
    'deriveBits',
  ]);
  const bits = await crypto.subtle.deriveBits(
    { name: 'PBKDF2', hash: 'SHA-256', salt, iterations },
    key,
    HASH_BITS,
  );
  return new Uint8Array(bits);
}

/** Hashes a password as `pbkdf2-sha256$<iterations>$<salt b64>$<hash b64>`. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const hash = await derive(password, salt, PBKDF2_ITERATIONS);
  return `pbkdf2-sha256$${PBKDF2_ITERATIONS}$${bytesToBase64(salt)}$${bytesToBase64(hash)}`;
}

/** Checks a password against a stored hash in constant time; malformed hashes never match. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, iterations, salt, hash] = stored.split('$');
  const count = Number(iterations);
  if (scheme !== 'pbkdf2-sha256' || !salt || !hash) return false;
  if (!Number.isInteger(count) || count < 1 || count > PBKDF2_ITERATIONS) return false;
  const expected = base64ToBytes(hash);
  const actual = await derive(password, base64ToBytes(salt), count);
  return timingSafeEqual(actual, expected);
}

// Random bytes, not the hash of any password: checked for unknown users so a
// failed login costs the same PBKDF2 work whether or not the user exists.
const DUMMY_HASH =
  'pbkdf2-sha256$100000$KC9Qp28VMsMcOneXX6UqIA==$cAPX2U3wlAKDAXj1cdazOvicM/lmXweqiZrNk8jAA7Q=';

/** Spends the same PBKDF2 work as a real check, and always fails. */
export async function verifyAgainstDummy(password: string): Promise<false> {
  await verifyPassword(password, DUMMY_HASH);
  return false;
}

export const PASSWORD_MIN_LENGTH = 8;
const PASSWORD_MAX_LENGTH = 256;

/**
 * The password policy: at least 8 characters, at most 256, and not the user
 * name nor containing it. Returns why a password is refused, or undefined.
 */
export function checkPasswordPolicy(username: string, password: string): string | undefined {
  if (password.length < PASSWORD_MIN_LENGTH)
    return `Password must be at least ${PASSWORD_MIN_LENGTH} characters long.`;
  if (password.length > PASSWORD_MAX_LENGTH)
    return `Password must be at most ${PASSWORD_MAX_LENGTH} characters long.`;
  if (username && password.toLowerCase().includes(username.toLowerCase()))
    return 'Password must not be or contain the user name.';
  return undefined;
}
