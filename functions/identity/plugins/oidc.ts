import { z } from '@hono/zod-openapi';
import { errors as joseErrors, jwtVerify } from 'jose';
import { randomToken } from '../../../lib/crypto/hash';
import { ApiError } from '../../errors';
import { pickString, pickStrings } from '../claims';
import { providerFailure } from '../errors';
import { providerJson } from '../oauth2/exchange';
import { discover } from '../oidc/discovery';
import { newVerifier, s256Challenge } from '../oidc/pkce';
import type { IdentityProviderPlugin } from '../types';

export const oidcConfigSchema = z.strictObject({
  issuer: z.url().max(1024),
  clientId: z.string().min(1).max(256),
  clientSecret: z.string().min(1).max(1024),
  scopes: z
    .array(z.string().regex(/^[\x21\x23-\x5b\x5d-\x7e]+$/))
    .max(20)
    .optional(),
  usernameClaim: z.string().min(1).max(128).optional(),
  emailClaim: z.string().min(1).max(128).optional(),
  displayNameClaim: z.string().min(1).max(128).optional(),
  groupsClaim: z.string().min(1).max(128).optional(),
});
export type OidcConfig = z.infer<typeof oidcConfigSchema>;

/** A sign-in the provider answered but edgetower must refuse (bad token, wrong nonce): 401. */
const refused = (provider: string, why: string) =>
  new ApiError(401, `Identity provider "${provider}": ${why}.`, { code: 'identity_rejected' });

function exchangeCode(
  provider: string,
  tokenEndpoint: string,
  config: OidcConfig,
  form: Record<string, string>,
): Promise<Record<string, unknown>> {
  const credentials = `${encodeURIComponent(config.clientId)}:${encodeURIComponent(config.clientSecret)}`;
  return providerJson(provider, 'the token endpoint', tokenEndpoint, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      accept: 'application/json',
      authorization: `Basic ${btoa(credentials)}`,
    },
    body: new URLSearchParams(form),
  });
}

/** OpenID Connect: authorization code with PKCE, state and nonce; id_token checked against the JWKS. */
export const oidcPlugin: IdentityProviderPlugin<OidcConfig> = {
  type: 'oidc',
  configSchema: oidcConfigSchema,
  secretFields: ['clientSecret'],
  hosts: (config) => [new URL(config.issuer).hostname],

  async startRedirect(provider, { redirectUri, state }, context) {
    const config = provider.config;
    const { metadata } = await discover(provider.name, config.issuer, context.allowPrivateHosts);
    const verifier = newVerifier();
    const nonce = randomToken('', 16);
    const url = new URL(metadata.authorization_endpoint);
    url.search = new URLSearchParams({
      response_type: 'code',
      client_id: config.clientId,
      redirect_uri: redirectUri,
      scope: (config.scopes ?? ['openid', 'profile', 'email']).join(' '),
      state,
      nonce,
      code_challenge: await s256Challenge(verifier),
      code_challenge_method: 'S256',
    }).toString();
    return { url: url.href, verifier, nonce };
  },

  async finishRedirect(provider, input, context) {
    const config = provider.config;
    const { query } = input;
    if (query.error)
      throw refused(
        provider.name,
        `sign-in failed at the provider (${query.error}${query.error_description ? `: ${query.error_description}` : ''})`,
      );
    if (!query.code) throw refused(provider.name, 'the callback carries no code');
    const { metadata, jwks } = await discover(
      provider.name,
      config.issuer,
      context.allowPrivateHosts,
    );
    const tokens = await exchangeCode(provider.name, metadata.token_endpoint, config, {
      grant_type: 'authorization_code',
      code: query.code,
      redirect_uri: input.redirectUri,
      code_verifier: input.verifier ?? '',
    });
    if (typeof tokens.id_token !== 'string')
      throw providerFailure(provider.name, 'the token response has no id_token');
    let claims: Record<string, unknown>;
    try {
      ({ payload: claims } = await jwtVerify(tokens.id_token, jwks, {
        issuer: metadata.issuer,
        audience: config.clientId,
        clockTolerance: 30,
      }));
    } catch (error) {
      const why =
        error instanceof joseErrors.JOSEError ? `${error.code}: ${error.message}` : String(error);
      throw refused(provider.name, `the id_token is not valid (${why})`);
    }
    if (!input.nonce || claims.nonce !== input.nonce)
      throw refused(provider.name, 'the id_token nonce does not match this sign-in');
    const sub = pickString(claims, 'sub');
    if (!sub) throw refused(provider.name, 'the id_token has no sub');
    return {
      externalId: sub,
      username: pickString(claims, config.usernameClaim ?? 'preferred_username') ?? sub,
      email: pickString(claims, config.emailClaim ?? 'email'),
      displayName: pickString(claims, config.displayNameClaim ?? 'name'),
      groups: pickStrings(claims, config.groupsClaim ?? 'groups'),
    };
  },
};
