import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { REDACTED_VALUE, unsealManifests } from '../../functions/delivery/secrets';
import { api, type Fixture, seedFixture } from './support/fixture';

/** The redaction rule of PUT: a Secret value sent back as the marker keeps its stored value. */
let fx: Fixture;

const secretYaml = (data: string, stringData = '') => `apiVersion: v1
kind: Secret
metadata:
  name: creds
${stringData ? `stringData:\n${stringData}\n` : ''}data:
${data}
`;
const first = secretYaml('  token: c2VjcmV0LXRva2Vu', '  password: hunter2-very-secret');
const path = '/api/v1/workspaces/alpha/apps/vault';
const put = (manifests: unknown) =>
  api('PUT', path, fx.as('alpha-admin'), {
    namespace: 'alpha-web',
    manifests,
    placement: { clusters: ['east'] },
  });

/** The Secret as it would be delivered (unsealed from D1). */
async function delivered(): Promise<Record<string, unknown>> {
  const row = await env.DB.prepare("SELECT manifests FROM apps WHERE name = 'vault'").first<{
    manifests: string;
  }>();
  const [secret] = await unsealManifests(env.SECRETS_KEY, JSON.parse(row?.manifests ?? '[]'));
  return secret as unknown as Record<string, unknown>;
}

beforeAll(async () => {
  fx = await seedFixture();
  const res = await api('POST', '/api/v1/workspaces/alpha/apps', fx.as('alpha-admin'), {
    name: 'vault',
    namespace: 'alpha-web',
    manifests: first,
    placement: { clusters: ['east'] },
  });
  expect(res.status).toBe(201);
});

describe('apps: redacted Secret values', () => {
  it('GET shows every key with the marker, never a value', async () => {
    const res = await api('GET', path, fx.as('alpha-admin'));
    const [secret] = (res.body as { manifests: Record<string, unknown>[] }).manifests;
    expect(secret).toMatchObject({
      kind: 'Secret',
      keys: ['password', 'token'],
      data: { password: REDACTED_VALUE, token: REDACTED_VALUE },
    });
    expect(JSON.stringify(res.body)).not.toContain('hunter2');
  });

  it('PUT of the view as it is keeps both stored values where they were', async () => {
    const view = (await api('GET', path, fx.as('alpha-admin'))).body as {
      manifests: Record<string, unknown>[];
    };
    const res = await put(view.manifests);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ generation: 2 });
    expect(await delivered()).toMatchObject({
      data: { token: 'c2VjcmV0LXRva2Vu' },
      stringData: { password: 'hunter2-very-secret' },
    });
  });

  it('a changed value replaces the stored one; a key left out is gone', async () => {
    const res = await put(secretYaml(`  token: bmV3LXRva2Vu`, `  password: "${REDACTED_VALUE}"`));
    expect(res.status).toBe(200);
    const secret = await delivered();
    expect(secret).toMatchObject({
      data: { token: 'bmV3LXRva2Vu' },
      stringData: { password: 'hunter2-very-secret' },
    });
    const again = await put(secretYaml(`  token: "${REDACTED_VALUE}"`));
    expect(again.status).toBe(200);
    const after = await delivered();
    expect(after.data).toEqual({ token: 'bmV3LXRva2Vu' });
    expect(after.stringData).toBeUndefined();
  });

  it('the marker for a key with no stored value is a 400, never delivered', async () => {
    const res = await put(secretYaml(`  other: "${REDACTED_VALUE}"`));
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({
      code: 'redacted_value_unknown',
      fields: [{ path: 'manifests[0].data.other' }],
    });
    const created = await api('POST', '/api/v1/workspaces/alpha/apps', fx.as('alpha-admin'), {
      name: 'vault-2',
      namespace: 'alpha-web',
      manifests: secretYaml(`  token: "${REDACTED_VALUE}"`),
      placement: { clusters: ['east'] },
    });
    expect(created.status).toBe(400);
    expect(created.body).toMatchObject({ code: 'redacted_value_unknown' });
  });

  it("another workspace's app of the same Secret name lends nothing (404 before any rule)", async () => {
    const res = await api('PUT', path.replace('alpha', 'beta'), fx.as('beta-admin'), {
      namespace: 'alpha-web',
      manifests: secretYaml(`  token: "${REDACTED_VALUE}"`),
      placement: { clusters: ['east'] },
    });
    expect(res.status).toBe(404);
  });

  it('a billion-laughs document is refused as invalid YAML, not expanded', async () => {
    const laughs = [
      'apiVersion: v1',
      'kind: ConfigMap',
      'metadata: {name: lol}',
      'data:',
      '  a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
      ...'bcdefghi'
        .split('')
        .map((k, i) => `  ${k}: &${k} [${Array(9).fill(`*${'abcdefghi'[i]}`).join(',')}]`),
    ].join('\n');
    const res = await put(laughs);
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ code: 'invalid_yaml' });
  });
});
