import { createRemoteJWKSet, type JWTVerifyGetKey } from 'jose';
import { privateDestinationProblem } from '../../net/private-address';
import { providerFailure } from '../errors';

export interface OidcMetadata {
  issuer: string;
  authorization_endpoint: string;
  token_endpoint: string;
  jwks_uri: string;
  userinfo_endpoint?: string;
}

const ttlMs = 5 * 60_000;
const discovered = new Map<
  string,
  { metadata: OidcMetadata; jwks: JWTVerifyGetKey; expires: number }
>();

/** Refuses provider URLs the edge must not call (SSRF) and plain http outside development. */
export function checkProviderUrl(provider: string, raw: string, allowPrivate: boolean): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw providerFailure(provider, `"${raw}" is not a URL`);
  }
  if (url.protocol !== 'https:' && !(allowPrivate && url.protocol === 'http:'))
    throw providerFailure(provider, `${url.origin} must use https`);
  const problem = privateDestinationProblem(url.hostname, allowPrivate);
  if (problem) throw providerFailure(provider, problem);
  return url;
}

/**
 * The issuer's OpenID discovery document and JWKS, cached per isolate for
 * five minutes (the JWKS refetches on an unknown `kid`, jose's rule), so a
 * sign-in costs the provider one token request, not three.
 */
export async function discover(
  provider: string,
  issuer: string,
  allowPrivate: boolean,
): Promise<{ metadata: OidcMetadata; jwks: JWTVerifyGetKey }> {
  const cached = discovered.get(issuer);
  if (cached && cached.expires > Date.now()) return cached;
  const base = checkProviderUrl(provider, issuer, allowPrivate);
  const url = `${base.href.replace(/\/$/, '')}/.well-known/openid-configuration`;
  let body: unknown;
  try {
    const res = await fetch(url, { headers: { accept: 'application/json' }, redirect: 'manual' });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    body = await res.json();
  } catch (error) {
    throw providerFailure(
      provider,
      `discovery at ${url} failed (${error instanceof Error ? error.message : error})`,
    );
  }
  const metadata = body as Partial<OidcMetadata>;
  if (
    typeof metadata.issuer !== 'string' ||
    typeof metadata.authorization_endpoint !== 'string' ||
    typeof metadata.token_endpoint !== 'string' ||
    typeof metadata.jwks_uri !== 'string'
  )
    throw providerFailure(provider, 'its discovery document lacks issuer, endpoints or jwks_uri');
  if (metadata.issuer.replace(/\/$/, '') !== issuer.replace(/\/$/, ''))
    throw providerFailure(provider, `discovery names issuer "${metadata.issuer}", not "${issuer}"`);
  for (const endpoint of [
    metadata.authorization_endpoint,
    metadata.token_endpoint,
    metadata.jwks_uri,
  ])
    checkProviderUrl(provider, endpoint, allowPrivate);
  const entry = {
    metadata: metadata as OidcMetadata,
    jwks: createRemoteJWKSet(new URL(metadata.jwks_uri), { timeoutDuration: 5000 }),
    expires: Date.now() + ttlMs,
  };
  discovered.set(issuer, entry);
  return entry;
}
