import { importJWK, type JWK } from 'jose';
import { verifyAccessToken } from '../../functions/auth/access-token';
import { percentile } from './load';

/**
 * Times the edge's own verification function (the one the authenticate
 * middleware calls) on a real token, with the keys imported once as the
 * worker caches them per isolate.
 */
export async function measureTokenVerification(
  token: string,
  edgeUrl: string,
  runs = 5000,
): Promise<{ runs: number; medianMs: number; p99Ms: number }> {
  const { keys } = (await (await fetch(`${edgeUrl}/.well-known/jwks.json`)).json()) as {
    keys: JWK[];
  };
  const imported = new Map<string, CryptoKey>();
  for (const jwk of keys) {
    if (jwk.kid) imported.set(jwk.kid, (await importJWK(jwk, 'ES256')) as CryptoKey);
  }
  for (let i = 0; i < 200; i++) await verifyAccessToken(token, imported, { issuer: edgeUrl });
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    const result = await verifyAccessToken(token, imported, { issuer: edgeUrl });
    times.push(performance.now() - t0);
    if (!result.ok) throw new Error(`token did not verify: ${result.reason}`);
  }
  times.sort((a, b) => a - b);
  return { runs, medianMs: percentile(times, 50), p99Ms: percentile(times, 99) };
}
