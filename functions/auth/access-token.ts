import { errors, type JWTPayload, jwtVerify, SignJWT } from 'jose';

/** Audience of edgetower access tokens (kube-apiserver's --oidc-client-id). */
export const ACCESS_TOKEN_AUDIENCE = 'edgetower';

export interface AccessTokenClaims extends JWTPayload {
  iss: string;
  sub: string;
  username: string;
  groups: string[];
  exp: number;
  iat: number;
  jti: string;
}

export interface SigningKey {
  kid: string;
  privateKey: CryptoKey;
}

/** Signs an ES256 access token for `subject`, valid `ttlSeconds` from `now`. */
export async function signAccessToken(
  key: SigningKey,
  subject: { userId: string; username: string; groups: string[] },
  options: { issuer: string; ttlSeconds: number; now?: Date },
): Promise<{ token: string; claims: AccessTokenClaims }> {
  const iat = Math.floor((options.now ?? new Date()).getTime() / 1000);
  const claims: AccessTokenClaims = {
    iss: options.issuer,
    sub: subject.userId,
    aud: ACCESS_TOKEN_AUDIENCE,
    username: subject.username,
    groups: subject.groups,
    iat,
    exp: iat + options.ttlSeconds,
    jti: crypto.randomUUID(),
  };
  const token = await new SignJWT(claims)
    .setProtectedHeader({ alg: 'ES256', typ: 'JWT', kid: key.kid })
    .sign(key.privateKey);
  return { token, claims };
}

export type VerifyResult =
  | { ok: true; claims: AccessTokenClaims }
  | { ok: false; reason: 'unknown_key' | 'expired' | 'invalid' };

/**
 * Verifies an access token against already-imported public keys. Pure (no
 * I/O, no globals but the clock) so it runs the same in workerd and Node and
 * can be benchmarked; `unknown_key` tells the caller to refresh its key set.
 */
export async function verifyAccessToken(
  token: string,
  keys: ReadonlyMap<string, CryptoKey>,
  options: { issuer: string; now?: Date },
): Promise<VerifyResult> {
  let unknownKey = false;
  try {
    const { payload } = await jwtVerify(
      token,
      (header) => {
        const key = header.kid === undefined ? undefined : keys.get(header.kid);
        if (!key) {
          unknownKey = true;
          throw new errors.JWKSNoMatchingKey();
        }
        return key;
      },
      {
        algorithms: ['ES256'],
        issuer: options.issuer,
        audience: ACCESS_TOKEN_AUDIENCE,
        requiredClaims: ['sub', 'exp', 'iat', 'jti'],
        ...(options.now ? { currentDate: options.now } : {}),
      },
    );
    if (typeof payload.username !== 'string' || !Array.isArray(payload.groups))
      return { ok: false, reason: 'invalid' };
    return { ok: true, claims: payload as AccessTokenClaims };
  } catch (error) {
    if (unknownKey) return { ok: false, reason: 'unknown_key' };
    if (error instanceof errors.JWTExpired) return { ok: false, reason: 'expired' };
    return { ok: false, reason: 'invalid' };
  }
}
