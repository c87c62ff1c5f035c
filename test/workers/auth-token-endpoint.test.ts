import { describe, expect, it } from 'vitest';
import { ADMIN, call, postForm } from './support/auth';

const expectOAuthError = async (res: Response, status: number, error: string) => {
  expect(res.status).toBe(status);
  const body = (await res.json()) as Record<string, string>;
  expect(body.error).toBe(error);
  expect(body.error_description).toBeTruthy();
  expect(body.requestId).toBe(res.headers.get('x-request-id'));
};

describe('POST /oauth/token bad input', () => {
  it('refuses unknown grant types', async () => {
    await expectOAuthError(
      await postForm('/oauth/token', { grant_type: 'client_credentials' }),
      400,
      'unsupported_grant_type',
    );
  });

  it('refuses missing fields', async () => {
    await expectOAuthError(await postForm('/oauth/token', {}), 400, 'invalid_request');
    await expectOAuthError(
      await postForm('/oauth/token', { grant_type: 'password', username: 'admin' }),
      400,
      'invalid_request',
    );
    await expectOAuthError(
      await postForm('/oauth/token', { grant_type: 'password', password: 'x' }),
      400,
      'invalid_request',
    );
  });

  it('refuses JSON and other content types', async () => {
    const json = await call('/oauth/token', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ grant_type: 'password', ...ADMIN }),
    });
    await expectOAuthError(json, 400, 'invalid_request');
    const malformed = await call('/oauth/token', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"grant_type":',
    });
    await expectOAuthError(malformed, 400, 'invalid_request');
    const none = await call('/oauth/token', { method: 'POST' });
    await expectOAuthError(none, 400, 'invalid_request');
  });

  it('refuses unknown identity providers', async () => {
    await expectOAuthError(
      await postForm('/oauth/token', { grant_type: 'password', ...ADMIN, idp: 'ldap' }),
      400,
      'invalid_request',
    );
  });

  it('accepts idp=local explicitly and extra OAuth parameters', async () => {
    const res = await postForm('/oauth/token', {
      grant_type: 'password',
      ...ADMIN,
      idp: 'local',
      client_id: 'kubectl',
      scope: 'openid groups',
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { access_token: string; id_token?: string };
    expect(body.id_token).toBe(body.access_token);
    const plain = (await (
      await postForm('/oauth/token', { grant_type: 'password', ...ADMIN })
    ).json()) as Record<string, unknown>;
    expect(plain).not.toHaveProperty('id_token');
  });

  it('refuses huge bodies with 413', async () => {
    const res = await postForm('/oauth/token', {
      grant_type: 'password',
      username: 'admin',
      password: 'x'.repeat(1024 * 1024 + 1),
    });
    expect(res.status).toBe(413);
  });

  it('refuses oversized fields without hashing them', async () => {
    await expectOAuthError(
      await postForm('/oauth/token', {
        grant_type: 'password',
        username: 'admin',
        password: 'x'.repeat(2000),
      }),
      400,
      'invalid_request',
    );
  });
});

describe('OpenAPI', () => {
  it('documents the auth endpoints', async () => {
    const doc = (await (await call('/openapi.json')).json()) as {
      paths: Record<string, Record<string, { requestBody?: { content: Record<string, unknown> } }>>;
    };
    expect(Object.keys(doc.paths['/oauth/token']?.post?.requestBody?.content ?? {})).toEqual([
      'application/x-www-form-urlencoded',
    ]);
    for (const path of [
      '/oauth/revoke',
      '/oauth/userinfo',
      '/.well-known/openid-configuration',
      '/.well-known/jwks.json',
      '/api/v1/tokens',
      '/api/v1/tokens/{id}',
    ])
      expect(doc.paths[path], path).toBeDefined();
  });
});
