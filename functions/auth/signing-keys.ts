import { exportJWK, generateKeyPair, importJWK, type JWK } from 'jose';
import type { Database } from '../../db/client';
import {
  findPublishedSigningKey,
  insertSigningKey,
  listPublishedSigningKeys,
  retireSigningKeys,
  type SigningKeyRow,
} from '../../db/queries/signing-keys';
import { randomToken } from '../../lib/crypto/hash';
import { decryptSecret, encryptSecret } from '../crypto/secrets';
import type { Env } from '../env';
import { settings } from '../settings';
import type { SigningKey } from './access-token';

/**
 * Per-isolate caches of imported keys: verification must not touch D1. A
 * key made by another isolate is picked up when a token names it (one
 * indexed lookup by kid) or when the cache ages out.
 */
const CACHE_TTL_MS = 5 * 60_000;

interface VerifierCache {
  keys: Map<string, CryptoKey>;
  loadedAt: number;
}
let verifiers: Promise<VerifierCache> | undefined;
let signer: Promise<SigningKey & { loadedAt: number }> | undefined;

/** Drops the caches (after a rotation in this isolate, and in tests). */
export function forgetSigningKeys(): void {
  verifiers = undefined;
  signer = undefined;
}

const publicPart = (jwk: JsonWebKey | JWK): JWK & JsonWebKey => ({
  kty: jwk.kty ?? 'EC',
  crv: jwk.crv,
  x: jwk.x,
  y: jwk.y,
});

async function loadVerifiers(db: Database): Promise<VerifierCache> {
  const rows = await listPublishedSigningKeys(db, new Date());
  const keys = new Map<string, CryptoKey>();
  for (const row of rows) {
    keys.set(row.kid, (await importJWK(publicPart(row.publicJwk), 'ES256')) as CryptoKey);
  }
  return { keys, loadedAt: Date.now() };
}

/** Public keys that verify access tokens, imported once per isolate. */
export async function verificationKeys(db: Database): Promise<ReadonlyMap<string, CryptoKey>> {
  let cache = verifiers ? await verifiers.catch(() => undefined) : undefined;
  const age = cache ? Date.now() - cache.loadedAt : Number.POSITIVE_INFINITY;
  if (!cache || age > CACHE_TTL_MS || age < 0) {
    verifiers = loadVerifiers(db);
    cache = await verifiers;
  }
  return cache.keys;
}

/**
 * A published key this isolate has not seen yet (made or rotated in by
 * another isolate), added to the cache; undefined for unknown or expired kids.
 */
export async function lookUpVerificationKey(
  db: Database,
  kid: string,
): Promise<CryptoKey | undefined> {
  const row = await findPublishedSigningKey(db, kid, new Date());
  if (!row) return undefined;
  const key = (await importJWK(publicPart(row.publicJwk), 'ES256')) as CryptoKey;
  const cache = verifiers ? await verifiers.catch(() => undefined) : undefined;
  cache?.keys.set(kid, key);
  return key;
}

async function createKey(db: Database, env: Env, now: Date): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  const kid = randomToken('', 12);
  const privateJwk = await exportJWK(privateKey);
  const publicJwk: JsonWebKey = { ...publicPart(await exportJWK(publicKey)), alg: 'ES256' };
  await insertSigningKey(db, {
    kid,
    publicJwk,
    privateKeyEncrypted: await encryptSecret(env.SECRETS_KEY, JSON.stringify(privateJwk)),
    createdAt: now,
  });
  return { kid, privateKey };
}

async function importSigner(env: Env, row: SigningKeyRow): Promise<SigningKey> {
  const jwk = JSON.parse(await decryptSecret(env.SECRETS_KEY, row.privateKeyEncrypted)) as JWK;
  return { kid: row.kid, privateKey: (await importJWK(jwk, 'ES256')) as CryptoKey };
}

const newestActive = (rows: SigningKeyRow[]) => rows.find((row) => row.retiredAt === null);

async function loadSigner(db: Database, env: Env): Promise<SigningKey & { loadedAt: number }> {
  let active = newestActive(await listPublishedSigningKeys(db, new Date()));
  if (!active) {
    await createKey(db, env, new Date());
    // Isolates racing on an empty table each made a key: all sign with the
    // newest one, and the cron retires the rest.
    active = newestActive(await listPublishedSigningKeys(db, new Date()));
    verifiers = undefined;
  }
  if (!active) throw new Error('no active signing key after creating one');
  return { ...(await importSigner(env, active)), loadedAt: Date.now() };
}

/**
 * The key that signs new access tokens: the newest active one, made on first
 * need. Needs SECRETS_KEY (503 with instructions when missing).
 */
export async function currentSigningKey(db: Database, env: Env): Promise<SigningKey> {
  let cached = signer ? await signer.catch(() => undefined) : undefined;
  const age = cached ? Date.now() - cached.loadedAt : Number.POSITIVE_INFINITY;
  if (!cached || age > CACHE_TTL_MS || age < 0) {
    signer = loadSigner(db, env);
    signer.catch(() => {
      signer = undefined;
    });
    cached = await signer;
  }
  return cached;
}

/** The JWKS document: public halves of the current and still-valid previous keys. */
export async function publishedJwks(db: Database): Promise<{ keys: JWK[] }> {
  const rows = await listPublishedSigningKeys(db, new Date());
  return {
    keys: rows.map((row) => ({
      ...publicPart(row.publicJwk),
      kid: row.kid,
      alg: 'ES256',
      use: 'sig',
    })),
  };
}

/**
 * Cron housekeeping: when the active key is older than SIGNING_KEY_ROTATION_DAYS
 * (or there is none), a new key takes over signing. Previous keys stay
 * published until every token they signed has expired (token lifetime plus
 * the isolate cache age, since other isolates may sign with a retired key
 * for that long), then are deleted. Returns the new kid when it rotated.
 */
export async function rotateSigningKeys(
  db: Database,
  env: Env,
  now = new Date(),
): Promise<string | undefined> {
  const config = settings(env);
  const active = newestActive(await listPublishedSigningKeys(db, now));
  const maxAgeMs = config.signingKeyRotationDays * 86_400_000;
  let rotatedTo: string | undefined;
  let keepKid = active?.kid;
  if (!active || now.getTime() - active.createdAt.getTime() >= maxAgeMs) {
    keepKid = (await createKey(db, env, now)).kid;
    rotatedTo = keepKid;
  }
  if (keepKid) {
    const publishedUntil = new Date(
      now.getTime() + config.accessTokenTtlSeconds * 1000 + CACHE_TTL_MS,
    );
    await retireSigningKeys(db, keepKid, now, publishedUntil);
  }
  if (rotatedTo) forgetSigningKeys();
  return rotatedTo;
}
