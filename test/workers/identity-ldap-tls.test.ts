import { describe, expect, inject, it } from 'vitest';
import { postForm } from './support/auth';
import { adminApi, ldapConfig, ldapDirectory, slapd } from './support/identity';

const { bob } = ldapDirectory.users;

/** The slapd whose CA is in no trust store workerd reads (identity-global-setup.ts). */
const privateSlapd = () => inject('slapdPrivateCa');

async function provider(name: string, config: Record<string, unknown>) {
  const server = privateSlapd();
  const res = await adminApi('POST', '/api/v1/identity-providers', {
    name,
    type: 'ldap',
    config: ldapConfig({ host: server.host, port: server.port, ...config }),
  });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
}

const signIn = async (idp: string) => {
  const res = await postForm('/oauth/token', {
    grant_type: 'password',
    username: bob.uid,
    password: bob.password,
    idp,
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
};

describe('LDAP rootCA: a directory certificate signed by a private CA', () => {
  it('StartTLS verifies against the configured rootCA', async () => {
    await provider('starttls-ca', { startTLS: true, rootCA: privateSlapd().caPem });
    const res = await signIn('starttls-ca');
    expect(res.status, JSON.stringify(res.body)).toBe(200);
  });

  it('LDAPS verifies against the configured rootCA', async () => {
    await provider('ldaps-ca', {
      ldaps: true,
      port: privateSlapd().ldapsPort,
      rootCA: privateSlapd().caPem,
    });
    const res = await signIn('ldaps-ca');
    expect(res.status, JSON.stringify(res.body)).toBe(200);
  });

  it('refuses the same server without rootCA: its CA is in no trust store', async () => {
    await provider('starttls-no-ca', { startTLS: true });
    const res = await signIn('starttls-no-ca');
    expect(res.status).toBe(502);
    expect(String(res.body.message)).toMatch(
      /"starttls-no-ca": LDAP \w+ failed: TLS with localhost failed/,
    );
  });

  it('refuses a certificate another CA signed, and one that does not name the host', async () => {
    // The other slapd's CA is a real CA, just not this server's.
    await provider('wrong-ca', { startTLS: true, rootCA: slapd().caPem });
    const wrong = await signIn('wrong-ca');
    expect(wrong.status).toBe(502);
    expect(String(wrong.body.message)).toMatch(/"wrong-ca": LDAP starttls failed: .*rootCA/);
    // Reached as 127.0.0.1, the certificate (for localhost) does not name the host.
    await provider('wrong-name', {
      host: '127.0.0.1',
      ldaps: true,
      port: privateSlapd().ldapsPort,
      rootCA: privateSlapd().caPem,
    });
    const name = await signIn('wrong-name');
    expect(name.status).toBe(502);
    expect(String(name.body.message)).toMatch(/"wrong-name": LDAP connect failed: .*127\.0\.0\.1/);
  });
});
