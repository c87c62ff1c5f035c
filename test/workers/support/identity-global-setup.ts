import type { TestProject } from 'vitest/node';
import { oauthClient, startOAuthServers } from '../../support/oauth-servers';
import { oidcClient, startOidcProvider } from '../../support/oidc-provider';
import { requirePeer } from '../../support/peers';
import { startSlapd } from '../../support/slapd';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The loopback slapd the LDAP tests sign in against (null when slapd is not installed). */
    slapd: {
      host: string;
      otherHost: string;
      port: number;
      ldapsPort: number;
      caPem: string;
    } | null;
    /**
     * A second slapd whose certificate (for `localhost` only) is signed by a
     * CA kept out of SSL_CERT_FILE: reachable with the provider's rootCA only.
     */
    slapdPrivateCa: { host: string; port: number; ldapsPort: number; caPem: string };
    /** The loopback OpenID provider (the `oidc-provider` package) and edgetower's client there. */
    oidc: { issuer: string; clientId: string; clientSecret: string };
    /** The loopback GitHub-shaped / generic OAuth2 / CAS server. */
    oauth: { url: string; clientId: string; clientSecret: string };
  }
}

/**
 * Runs in Node before the workers project: workerd cannot spawn processes,
 * so the identity tests' real peers start here: OpenLDAP slapd, an OpenID
 * provider (oidc-provider) and a GitHub/OAuth2/CAS server, all on loopback.
 */
export default async function setup(project: TestProject) {
  const oidc = await startOidcProvider();
  project.provide('oidc', { issuer: oidc.issuer, ...oidcClient });
  const oauth = await startOAuthServers();
  project.provide('oauth', { url: oauth.url, ...oauthClient });
  // A missing slapd fails the run here, before any test: never a quiet skip.
  requirePeer('slapd');
  requirePeer('ldapadd');
  const slapd = await startSlapd();
  const privateCa = await startSlapd({ privateCa: true });
  // workerd verifies TLS peers against OpenSSL's default locations: trust the
  // test CA there too (workerd starts after global setup and inherits this).
  const { readFile, writeFile } = await import('node:fs/promises');
  const system = await readFile('/etc/ssl/certs/ca-certificates.crt', 'utf8').catch(() => '');
  const bundle = `${slapd.caFile}.bundle.pem`;
  await writeFile(bundle, `${system}\n${slapd.caPem}`);
  process.env.SSL_CERT_FILE = bundle;
  project.provide('slapd', {
    host: slapd.host,
    otherHost: slapd.otherHost,
    port: slapd.port,
    ldapsPort: slapd.ldapsPort,
    caPem: slapd.caPem,
  });
  // Its CA is deliberately not added to the bundle above.
  project.provide('slapdPrivateCa', {
    host: 'localhost',
    port: privateCa.port,
    ldapsPort: privateCa.ldapsPort,
    caPem: privateCa.caPem,
  });
  return async () => {
    await Promise.all([slapd.stop(), privateCa.stop(), oidc.stop(), oauth.stop()]);
  };
}
