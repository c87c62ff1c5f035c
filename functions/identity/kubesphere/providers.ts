import type { IdentityProviderType } from '../../../db/schema/identity-providers';
import { isObject, type ProviderReader, unset } from './reader';

/**
 * The `provider` settings of each KubeSphere type, read into edgetower's
 * config (field names from KubeSphere's provider structs,
 * pkg/apiserver/authentication/identityprovider/{ldap,oidc,github,cas}).
 */

/** `host:port`, `ldap://host[:port]` or `ldaps://host[:port]`, as KubeSphere's newConn reads it. */
function ldapAddress(raw: string): { host: string; port?: number; ldaps: boolean } | undefined {
  let rest = raw.trim();
  let ldaps = false;
  const scheme = /^(ldaps?):\/\//i.exec(rest);
  if (scheme) {
    ldaps = scheme[1]?.toLowerCase() === 'ldaps';
    rest = rest.slice(scheme[0].length).replace(/\/.*$/, '');
  }
  const match = /^\[([^\]]+)\](?::(\d+))?$/.exec(rest) ?? /^([^:[\]]+)(?::(\d+))?$/.exec(rest);
  if (!match?.[1]) return undefined;
  return { host: match[1], ...(match[2] ? { port: Number(match[2]) } : {}), ldaps };
}

function decodePem(base64: string): string | undefined {
  try {
    const text = atob(base64.replace(/\s+/g, ''));
    return text.includes('-----BEGIN CERTIFICATE-----') ? text : undefined;
  } catch {
    return undefined;
  }
}

function ldap(p: ProviderReader) {
  const host = p.get('host');
  if (typeof host === 'string') {
    const address = ldapAddress(host);
    if (!address) p.problem('host', 'expected host:port, ldap://host:port or ldaps://host:port');
    else {
      p.set('host', address.host, 'host');
      if (address.port !== undefined) p.set('port', address.port, 'host');
      if (address.ldaps) p.set('ldaps', true, 'host');
    }
  } else if (host !== undefined) p.set('host', host, 'host');
  for (const key of [
    'managerDN',
    'managerPassword',
    'userSearchBase',
    'userSearchFilter',
    'groupSearchBase',
    'groupSearchFilter',
    'groupMemberAttribute',
    'loginAttribute',
    'mailAttribute',
    'startTLS',
  ])
    p.copy(key);
  p.refuseInsecure('put the CA that signed the directory certificate in rootCAData');
  const rootCAData = p.get('rootCAData');
  if (typeof rootCAData === 'string') {
    const pem = decodePem(rootCAData);
    if (pem) p.set('rootCA', pem, 'rootCAData');
    else p.problem('rootCAData', 'expected a base64-encoded PEM certificate');
  }
  const rootCA = p.get('rootCA');
  if (typeof rootCA === 'string') {
    if (rootCA.includes('-----BEGIN CERTIFICATE-----')) p.set('rootCA', rootCA, 'rootCA');
    else
      p.problem(
        'rootCA',
        `"${rootCA.slice(0, 200)}" is a file on the KubeSphere host; send the certificate's base64-encoded PEM as rootCAData`,
      );
  }
  const readTimeout = p.get('readTimeout');
  if (typeof readTimeout === 'number' && readTimeout > 0) {
    const seconds = Math.ceil(readTimeout / 1000);
    p.set('timeoutSeconds', Math.min(seconds, 30), 'readTimeout');
    if (seconds > 30) p.note('readTimeout', 'capped at 30 seconds');
  } else if (readTimeout !== undefined && readTimeout !== 0)
    p.problem('readTimeout', 'expected milliseconds');
  p.ignore(
    'userMemberAttribute',
    'edgetower reads groups by searching groupSearchBase for groupMemberAttribute=<user DN>',
  );
}

function oidc(p: ProviderReader, name: string) {
  p.copy('issuer');
  if (p.get('issuer') === undefined)
    p.problem('issuer', 'edgetower needs the issuer (discovery and id_token verification)');
  p.copy('clientID', 'clientId');
  p.copy('clientSecret');
  const scopes = p.get('scopes');
  if (Array.isArray(scopes))
    // KubeSphere always asks for openid, whatever the list says.
    p.set('scopes', scopes.includes('openid') ? scopes : ['openid', ...scopes], 'scopes');
  else if (scopes !== undefined) p.problem('scopes', 'expected a list');
  p.copy('preferredUsernameKey', 'usernameClaim');
  p.copy('emailKey', 'emailClaim');
  p.refuseInsecure("the issuer's certificate must be trusted");
  p.redirectNote(name);
  p.ignore('endpoint', 'endpoints are discovered from the issuer');
  p.ignore('getUserInfo', 'claims are read from the verified id_token');
  p.ignore('postLogoutRedirectURI', 'edgetower does not sign out of the provider');
}

/** GitHub's endpoints, or a GitHub Enterprise Server's under one base URL. */
function githubEndpoint(endpoint: Record<string, unknown>): string | null | undefined {
  const { authURL, tokenURL, userInfoURL } = endpoint;
  const urls = [authURL, tokenURL, userInfoURL].map((u) => (unset(u) ? undefined : String(u)));
  const [auth, token, user] = urls;
  const base = auth?.replace(/\/login\/oauth\/authorize\/?$/, '');
  if (urls.every((u) => u === undefined)) return null;
  if (
    (auth ?? 'https://github.com/login/oauth/authorize') ===
      'https://github.com/login/oauth/authorize' &&
    (token ?? 'https://github.com/login/oauth/access_token') ===
      'https://github.com/login/oauth/access_token' &&
    (user ?? 'https://api.github.com/user') === 'https://api.github.com/user'
  )
    return null;
  if (
    base &&
    base !== auth &&
    token === `${base}/login/oauth/access_token` &&
    user === `${base}/api/v3/user`
  )
    return base;
  return undefined;
}

function github(p: ProviderReader, name: string) {
  p.copy('clientID', 'clientId');
  p.copy('clientSecret');
  p.copy('scopes');
  const endpoint = p.get('endpoint');
  if (isObject(endpoint)) {
    const base = githubEndpoint(endpoint);
    if (base) p.set('enterpriseUrl', base, 'endpoint');
    else if (base === undefined)
      p.problem(
        'endpoint',
        'expected github.com or a GitHub Enterprise Server (<url>/login/oauth/authorize, <url>/login/oauth/access_token, <url>/api/v3/user)',
      );
  } else if (endpoint !== undefined) p.problem('endpoint', 'expected a map');
  p.refuseInsecure("GitHub's certificate must be trusted");
  p.redirectNote(name);
}

function cas(p: ProviderReader, name: string) {
  p.copy('casServerURL', 'serverUrl');
  p.refuseInsecure("the CAS server's certificate must be trusted");
  p.redirectNote(name);
}

export const readers: Record<
  IdentityProviderType,
  ((p: ProviderReader, name: string) => void) | undefined
> = { ldap, oidc, github, cas, oauth2: undefined };
