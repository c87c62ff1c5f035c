import { createRoute, z } from '@hono/zod-openapi';
import { createRouter } from '../openapi';
import { issuerUrl } from '../settings';
import { publishedJwks } from './signing-keys';

const discoveryRoute = createRoute({
  method: 'get',
  path: '/.well-known/openid-configuration',
  tags: ['auth'],
  summary: 'OpenID Provider metadata (issuer, endpoints, JWKS location)',
  responses: {
    200: {
      description: 'Discovery document.',
      content: { 'application/json': { schema: z.record(z.string(), z.unknown()) } },
    },
  },
});

const jwkSchema = z
  .object({
    kty: z.string(),
    crv: z.string(),
    x: z.string(),
    y: z.string(),
    kid: z.string(),
    alg: z.string(),
    use: z.string(),
  })
  .openapi('Jwk');

const jwksRoute = createRoute({
  method: 'get',
  path: '/.well-known/jwks.json',
  tags: ['auth'],
  summary: 'Public keys that verify edgetower access tokens (current and still-valid previous)',
  responses: {
    200: {
      description: 'JSON Web Key Set.',
      content: { 'application/json': { schema: z.object({ keys: z.array(jwkSchema) }) } },
    },
  },
});

/** OIDC discovery and the JWKS, so kube-apiservers and other services can verify our tokens. */
export const discoveryRoutes = createRouter()
  .openapi(discoveryRoute, (c) => {
    const issuer = issuerUrl(c.env, c.req.url);
    c.header('cache-control', 'public, max-age=300');
    return c.json(
      {
        issuer,
        jwks_uri: `${issuer}/.well-known/jwks.json`,
        token_endpoint: `${issuer}/oauth/token`,
        userinfo_endpoint: `${issuer}/oauth/userinfo`,
        revocation_endpoint: `${issuer}/oauth/revoke`,
        grant_types_supported: ['password', 'refresh_token'],
        response_types_supported: ['token'],
        subject_types_supported: ['public'],
        id_token_signing_alg_values_supported: ['ES256'],
        token_endpoint_auth_methods_supported: ['none'],
        revocation_endpoint_auth_methods_supported: ['none'],
        scopes_supported: ['openid', 'profile', 'email', 'groups'],
        claims_supported: ['iss', 'sub', 'aud', 'exp', 'iat', 'jti', 'username', 'groups'],
      },
      200,
    );
  })
  .openapi(jwksRoute, async (c) => {
    // Short cache: a rotated-in key must reach verifiers before it signs much.
    c.header('cache-control', 'public, max-age=300');
    const jwks = await publishedJwks(c.get('db'));
    return c.json(
      {
        keys: jwks.keys.map((k) => ({
          kty: k.kty ?? 'EC',
          crv: k.crv ?? 'P-256',
          x: k.x ?? '',
          y: k.y ?? '',
          kid: k.kid ?? '',
          alg: 'ES256',
          use: 'sig',
        })),
      },
      200,
    );
  });
