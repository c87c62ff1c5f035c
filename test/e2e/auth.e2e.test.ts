import { createRemoteJWKSet, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  removeState,
  startWranglerDev,
  testSecrets,
  type WranglerDev,
} from '../support/wrangler-dev';

interface TokenReply {
  access_token: string;
  token_type: string;
  expires_in: number;
  refresh_token: string;
}

let edge: WranglerDev;

beforeAll(async () => {
  edge = await startWranglerDev();
});

afterAll(async () => {
  await edge?.stop();
  if (edge) await removeState(edge);
});

/** What `curl -d grant_type=password -d username=... -d password=...` sends. */
async function passwordGrant(username: string, password: string): Promise<Response> {
  return fetch(`${edge.url}/oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'password', username, password }),
  });
}

describe('edge under wrangler dev', () => {
  it('logs the bootstrap admin in and issues tokens verifiable with the published JWKS', async () => {
    const res = await passwordGrant('admin', testSecrets.ADMIN_PASSWORD);
    expect(res.status).toBe(200);
    const tokens = (await res.json()) as TokenReply;
    expect(tokens.token_type).toBe('Bearer');
    expect(tokens.expires_in).toBe(7200);

    const discovery = (await (
      await fetch(`${edge.url}/.well-known/openid-configuration`)
    ).json()) as {
      issuer: string;
      jwks_uri: string;
    };
    expect(discovery.issuer).toBe(edge.url);
    const jwks = createRemoteJWKSet(new URL(discovery.jwks_uri));
    const { payload, protectedHeader } = await jwtVerify(tokens.access_token, jwks, {
      issuer: discovery.issuer,
    });
    expect(protectedHeader.alg).toBe('ES256');
    expect(payload.username).toBe('admin');
    expect(typeof payload.jti).toBe('string');
    expect((payload.exp ?? 0) - (payload.iat ?? 0)).toBe(7200);
  });

  it('refuses a wrong password with an RFC 6749 error', async () => {
    const res = await passwordGrant('admin', 'not-the-password');
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toBe('invalid_grant');
  });

  it('serves the API to the token holder and rotates refresh tokens', async () => {
    const tokens = (await (
      await passwordGrant('admin', testSecrets.ADMIN_PASSWORD)
    ).json()) as TokenReply;
    const auth = { authorization: `Bearer ${tokens.access_token}` };

    const me = await fetch(`${edge.url}/api/v1/me`, { headers: auth });
    expect(me.status).toBe(200);
    expect(((await me.json()) as { name?: string; user?: { name: string } }).user?.name ?? '').toBe(
      'admin',
    );

    const created = await fetch(`${edge.url}/api/v1/workspaces`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'e2e-team', description: 'made by the e2e test' }),
    });
    expect(created.status).toBe(201);
    const list = (await (
      await fetch(`${edge.url}/api/v1/workspaces`, { headers: auth })
    ).json()) as {
      items: { name: string }[];
    };
    expect(list.items.map((w) => w.name)).toContain('e2e-team');

    const refresh = () =>
      fetch(`${edge.url}/oauth/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'refresh_token',
          refresh_token: tokens.refresh_token,
        }),
      });
    const first = await refresh();
    expect(first.status).toBe(200);
    const rotated = (await first.json()) as TokenReply;
    expect(rotated.refresh_token).not.toBe(tokens.refresh_token);
    // Presenting the old refresh token again is reuse: refused, and the family is revoked.
    expect((await refresh()).status).toBe(400);
    const afterReuse = await fetch(`${edge.url}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'refresh_token',
        refresh_token: rotated.refresh_token,
      }),
    });
    expect(afterReuse.status).toBe(400);

    const audit = (await (
      await fetch(`${edge.url}/api/v1/audit?resource=workspaces`, { headers: auth })
    ).json()) as {
      items: { verb: string; name: string; outcome: string }[];
    };
    expect(audit.items).toContainEqual(
      expect.objectContaining({ verb: 'create', name: 'e2e-team', outcome: 'success' }),
    );
  });

  it('answers unauthenticated API calls with 401 in the error shape', async () => {
    const res = await fetch(`${edge.url}/api/v1/workspaces`);
    expect(res.status).toBe(401);
    const body = (await res.json()) as { code: string; requestId: string };
    expect(body.code).toBe('unauthorized');
    expect(body.requestId).toBe(res.headers.get('x-request-id'));
  });
});
