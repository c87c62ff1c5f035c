import { env } from 'cloudflare:workers';
import { decodeJwt } from 'jose';
import { describe, expect, inject, it } from 'vitest';
import { adminToken, bearer, call, login, postForm, seedUser } from './support/auth';
import { adminApi, ldapDirectory, slapd } from './support/identity';
import { browserSignIn, oidcServer } from './support/oidc-flow';

const { alice } = ldapDirectory.users;
const oauth = () => inject('oauth');

/**
 * A kubesphere-config ConfigMap as `kubectl -n kubesphere-system get cm
 * kubesphere-config -o yaml` prints it (KubeSphere 3.x, settings and field
 * names from KubeSphere's docs and its provider structs), pointed at this
 * test run's loopback directory, OpenID provider and GitHub/CAS server.
 */
function kubesphereConfigMap(): string {
  const ldap = slapd();
  const { url, clientId, clientSecret } = oauth();
  const oidc = oidcServer();
  return `apiVersion: v1
kind: ConfigMap
metadata:
  name: kubesphere-config
  namespace: kubesphere-system
data:
  kubesphere.yaml: |
    authentication:
      authenticateRateLimiterMaxTries: 10
      authenticateRateLimiterDuration: 10m0s
      loginHistoryRetentionPeriod: 168h
      maximumClockSkew: 10s
      multipleLogin: true
      kubectlImage: kubesphere/kubectl:v1.22.0
      jwtSecret: "not-imported"
      oauthOptions:
        accessTokenMaxAge: 1h
        accessTokenInactivityTimeout: 30m
        identityProviders:
        - name: LDAP
          type: LDAPIdentityProvider
          mappingMethod: auto
          provider:
            host: ${ldap.host}:${ldap.port}
            managerDN: ${ldapDirectory.managerDN}
            managerPassword: ${ldapDirectory.managerPassword}
            userSearchBase: ${ldapDirectory.userSearchBase}
            userSearchFilter: (objectClass=inetOrgPerson)
            groupSearchBase: ${ldapDirectory.groupSearchBase}
            groupSearchFilter: (objectClass=groupOfNames)
            groupMemberAttribute: member
            userMemberAttribute: memberOf
            loginAttribute: uid
            mailAttribute: mail
            startTLS: false
            insecureSkipVerify: false
            rootCA: ""
            readTimeout: 15000
        - name: GitHub Enterprise
          type: GitHubIdentityProvider
          mappingMethod: mixed
          displayName: Corp GitHub
          provider:
            clientID: ${clientId}
            clientSecret: ${clientSecret}
            endpoint:
              authURL: ${url}/login/oauth/authorize
              tokenURL: ${url}/login/oauth/access_token
              userInfoURL: ${url}/api/v3/user
            redirectURL: https://ks-console.example.org/oauth/redirect/github
            scopes:
            - user
        - name: keycloak
          type: OIDCIdentityProvider
          mappingMethod: lookup
          provider:
            clientID: ${oidc.clientId}
            clientSecret: ${oidc.clientSecret}
            issuer: ${oidc.issuer}
            redirectURL: https://ks-console.example.org/oauth/redirect/keycloak
            scopes:
            - email
            - profile
            getUserInfo: true
            preferredUsernameKey: preferred_username
            emailKey: email
        - name: cas
          type: CASIdentityProvider
          mappingMethod: auto
          provider:
            redirectURL: https://ks-console.example.org/oauth/redirect/cas
            casServerURL: ${url}/cas
            insecureSkipVerify: false
        - name: old-ldap
          type: LDAPIdentityProvider
          disabled: true
          provider:
            host: ldap.retired.example.org:389
    monitoring:
      endpoint: http://prometheus-operated.kubesphere-monitoring-system.svc:9090
`;
}

const importYaml = async (body: string, token?: string) => {
  const headers = bearer(token ?? (await adminToken()));
  const res = await call('/api/v1/identity-providers:import', {
    method: 'POST',
    headers: { ...headers, 'content-type': 'application/yaml' },
    body,
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
};

const providerCount = async () =>
  (await env.DB.prepare('select count(*) as n from identity_providers').first<{ n: number }>())
    ?.n ?? 0;

interface Issue {
  path: string;
  message: string;
}

describe('POST /api/v1/identity-providers:import (KubeSphere oauthOptions.identityProviders)', () => {
  it('imports a kubesphere-config ConfigMap in one call; the providers sign people in', async () => {
    await adminApi('GET', '/api/v1/identity-providers'); // bootstraps the admin
    const res = await importYaml(kubesphereConfigMap());
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    const imported = res.body.imported as Record<string, unknown>[];
    expect(imported.map((p) => [p.name, p.type, p.mappingMethod, p.displayName])).toEqual([
      ['ldap', 'ldap', 'auto', 'LDAP'],
      ['github-enterprise', 'github', 'mixed', 'Corp GitHub'],
      ['keycloak', 'oidc', 'lookup', null],
      ['cas', 'cas', 'auto', null],
    ]);
    expect(imported[0]?.config).toEqual({
      host: slapd().host,
      port: slapd().port,
      managerDN: ldapDirectory.managerDN,
      userSearchBase: ldapDirectory.userSearchBase,
      userSearchFilter: '(objectClass=inetOrgPerson)',
      groupSearchBase: ldapDirectory.groupSearchBase,
      groupSearchFilter: '(objectClass=groupOfNames)',
      groupMemberAttribute: 'member',
      loginAttribute: 'uid',
      mailAttribute: 'mail',
      startTLS: false,
      timeoutSeconds: 15,
    });
    expect(imported[0]?.configuredSecrets).toEqual(['managerPassword']);
    expect(imported[1]?.config).toEqual({
      clientId: oauth().clientId,
      scopes: ['user'],
      enterpriseUrl: oauth().url,
    });
    expect(imported[2]?.config).toMatchObject({
      scopes: ['openid', 'email', 'profile'],
      usernameClaim: 'preferred_username',
      emailClaim: 'email',
    });
    // Secrets are sealed at rest, as the create route seals them.
    const stored = await env.DB.prepare(
      'select config, sealed_secrets from identity_providers',
    ).all<{
      config: string;
      sealed_secrets: string | null;
    }>();
    const everything = JSON.stringify(stored.results);
    for (const secret of [
      ldapDirectory.managerPassword,
      oauth().clientSecret,
      oidcServer().clientSecret,
    ])
      expect(everything).not.toContain(secret);
    expect(JSON.stringify(res.body)).not.toContain(ldapDirectory.managerPassword);

    expect(res.body.skipped).toEqual([
      {
        path: 'data.kubesphere.yaml:authentication.oauthOptions.identityProviders[4]',
        name: 'old-ldap',
        reason: 'disabled in KubeSphere',
      },
    ]);
    const warnings = res.body.warnings as Issue[];
    expect(warnings).toContainEqual({
      path: 'data.kubesphere.yaml:authentication.oauthOptions.identityProviders[1].provider.redirectURL',
      message:
        'replaced: register https://edge.test/oauth/callback/github-enterprise as the redirect (callback) URL at the provider',
    });
    expect(warnings.map((w) => w.path)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/identityProviders\[0\]\.provider\.userMemberAttribute$/),
        expect.stringMatching(/identityProviders\[2\]\.provider\.getUserInfo$/),
      ]),
    );

    // Audited as one create of identityproviders naming what was made.
    const audit = await env.DB.prepare(
      "select name, outcome from audit_events where resource = 'identityproviders' and verb = 'create'",
    ).all<{ name: string; outcome: string }>();
    expect(audit.results).toContainEqual({
      name: 'ldap,github-enterprise,keycloak,cas',
      outcome: 'success',
    });

    // KubeSphere's LDAP semantics: (&(uid=<name>)(objectClass=inetOrgPerson)).
    const ldapLogin = await postForm('/oauth/token', {
      grant_type: 'password',
      username: alice.uid,
      password: alice.password,
      idp: 'ldap',
    });
    expect(ldapLogin.status, await ldapLogin.clone().text()).toBe(200);
    const gh = await browserSignIn('github-enterprise', {
      account: '',
      rewriteAuthorize: (u) => u.searchParams.set('login', 'erin'),
    });
    expect(gh.status, await gh.clone().text()).toBe(200);
    expect(
      decodeJwt(String(((await gh.json()) as { access_token: string }).access_token)).username,
    ).toBe('erin');

    // Importing again changes nothing: every name is taken (409, naming them).
    const again = await importYaml(kubesphereConfigMap());
    expect(again.status).toBe(409);
    expect((again.body.fields as Issue[]).map((f) => f.path)).toHaveLength(4);
    expect(await providerCount()).toBe(4);
  });

  it('turns rootCAData into the CA a StartTLS directory is verified against', async () => {
    const directory = inject('slapdPrivateCa');
    const res = await importYaml(`identityProviders:
- name: corp-ldap-tls
  type: LDAPIdentityProvider
  mappingMethod: auto
  provider:
    host: ldap://${directory.host}:${directory.port}
    startTLS: true
    rootCAData: ${btoa(directory.caPem)}
    managerDN: ${ldapDirectory.managerDN}
    managerPassword: ${ldapDirectory.managerPassword}
    userSearchBase: ${ldapDirectory.userSearchBase}
    userSearchFilter: (objectClass=inetOrgPerson)
    loginAttribute: uid
    mailAttribute: mail
`);
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect((res.body.imported as { config: Record<string, unknown> }[])[0]?.config).toMatchObject({
      host: 'localhost',
      port: directory.port,
      startTLS: true,
      rootCA: directory.caPem,
    });
    const login = await postForm('/oauth/token', {
      grant_type: 'password',
      username: ldapDirectory.users.bob.uid,
      password: ldapDirectory.users.bob.password,
      idp: 'corp-ldap-tls',
    });
    expect(login.status, await login.clone().text()).toBe(200);
  });

  it('takes the bare list as JSON, and KubeSphere 4 identity provider Secrets', async () => {
    const { url } = oauth();
    const json = await adminApi('POST', '/api/v1/identity-providers:import', [
      { name: 'json-cas', type: 'CASIdentityProvider', provider: { casServerURL: `${url}/cas` } },
    ]);
    expect(json.status, JSON.stringify(json.body)).toBe(201);
    const configuration = `name: ks4-cas\ntype: CASIdentityProvider\nmappingMethod: auto\nprovider:\n  casServerURL: ${url}/cas\n`;
    const secrets = `apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: Secret
  type: config.kubesphere.io/identityprovider
  metadata:
    name: ks4-cas
    namespace: kubesphere-system
    labels:
      config.kubesphere.io/type: identityprovider
  data:
    configuration.yaml: ${btoa(configuration)}
`;
    const res = await importYaml(secrets);
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect((res.body.imported as { name: string }[]).map((p) => p.name)).toEqual(['ks4-cas']);
  });

  it('refuses the whole import naming each entry and field; nothing is written', async () => {
    const before = await providerCount();
    const res = await importYaml(`identityProviders:
- name: good
  type: CASIdentityProvider
  provider:
    casServerURL: ${oauth().url}/cas
- name: broken-ldap
  type: LDAPIdentityProvider
  mappingMethod: manual
  provider:
    host: ldap.example.org:389
    managerPassword: secret-that-must-not-leak
    userSearchBase: dc=example,dc=org
    rootCA: /etc/ssl/ldap-ca.crt
    insecureSkipVerify: true
    bindAttribute: uid
`);
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('validation_failed');
    const paths = (res.body.fields as Issue[]).map((f) => f.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        'identityProviders[1].mappingMethod',
        'identityProviders[1].provider.rootCA',
        'identityProviders[1].provider.insecureSkipVerify',
        'identityProviders[1].provider.bindAttribute',
      ]),
    );
    expect(JSON.stringify(res.body)).not.toContain('secret-that-must-not-leak');
    // Schema problems name KubeSphere's field (managerDN is required).
    const missing = await importYaml(`- name: x
  type: LDAPIdentityProvider
  provider: {host: "ldaps://ldap.example.org", managerPassword: p, userSearchBase: "dc=x", readTimeout: 900000}
`);
    expect(missing.status).toBe(400);
    expect((missing.body.fields as Issue[]).map((f) => f.path)).toContain('[0].provider.managerDN');
    expect(await providerCount()).toBe(before);
  });

  it('refuses provider types it cannot import with their own code', async () => {
    const res = await importYaml(`authentication:
  oauthOptions:
    identityProviders:
    - name: idaas
      type: AliyunIDaaSProvider
      provider: {clientID: x, clientSecret: y}
`);
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({
      code: 'unsupported_provider_type',
      fields: [
        {
          path: 'authentication.oauthOptions.identityProviders[0].type',
          message: expect.stringContaining('"AliyunIDaaSProvider" is not supported'),
        },
      ],
    });
  });

  it('refuses bad YAML, alias bombs and documents without providers clearly', async () => {
    const bad = await importYaml('identityProviders:\n  - name: [unclosed\n');
    expect(bad.status).toBe(400);
    expect(String(bad.body.message)).toMatch(/not valid YAML or JSON/);
    const bomb = ['a: &a [x, x, x, x, x, x, x, x, x, x]']
      .concat(
        'bcdefghij'
          .split('')
          .map((c, i) => `${c}: &${c} [${Array(10).fill(`*${'abcdefghij'[i]}`).join(', ')}]`),
      )
      .join('\n');
    const bombed = await importYaml(bomb);
    expect(bombed.status).toBe(400);
    const empty = await importYaml('monitoring: {endpoint: http://x}\n');
    expect(empty.status).toBe(400);
    expect(String(empty.body.message)).toMatch(/No KubeSphere identity providers found/);
  });

  it('takes YAML on this route only', async () => {
    const headers = { ...bearer(await adminToken()), 'content-type': 'application/yaml' };
    const elsewhere = await call('/api/v1/identity-providers', {
      method: 'POST',
      headers,
      body: 'name: x\ntype: cas\n',
    });
    expect(elsewhere.status).toBe(415);
    const textYaml = await call('/api/v1/identity-providers:import', {
      method: 'POST',
      headers: { ...headers, 'content-type': 'text/yaml; charset=utf-8' },
      body: `- {name: text-yaml, type: CASIdentityProvider, provider: {casServerURL: "${oauth().url}/cas"}}\n`,
    });
    expect(textYaml.status, await textYaml.clone().text()).toBe(201);
  });

  it('is for platform admins only', async () => {
    await seedUser({ name: 'plain-user' });
    const res = await importYaml(
      kubesphereConfigMap(),
      await login('plain-user', 'plain-user-password'),
    );
    expect(res.status).toBe(403);
  });
});
