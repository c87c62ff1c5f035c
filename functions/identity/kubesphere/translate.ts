import type { IdentityProviderType, MappingMethod } from '../../../db/schema/identity-providers';
import type { FieldIssue } from '../../errors';
import { normaliseUsername } from '../usernames';

/**
 * One KubeSphere identity provider entry (`{name, type, mappingMethod,
 * displayName, hidden, disabled, provider}`, KubeSphere's
 * identityprovider.Configuration / oauth.IdentityProviderOptions) turned into
 * edgetower's provider input. Field names follow KubeSphere's provider
 * structs (pkg/apiserver/authentication/identityprovider/{ldap,oidc,github,cas}).
 */

export interface Translation {
  name: string;
  /** The entry's name in KubeSphere (`LDAP`, `My GitHub`) when it had to be normalised. */
  kubeSphereName: string;
  type: IdentityProviderType;
  displayName?: string | undefined;
  mappingMethod: MappingMethod;
  config: Record<string, unknown>;
  /** edgetower config key -> the KubeSphere key it came from, to name fields in errors. */
  origin: Record<string, string>;
}

export type TranslationOutcome =
  | { kind: 'ok'; translation: Translation }
  | { kind: 'skipped'; name: string; reason: string }
  | { kind: 'invalid' }
  | { kind: 'unsupported'; type: string };

export interface TranslateContext {
  /** The entry's location in the document (`authentication.oauthOptions.identityProviders[0]`). */
  path: string;
  /** This edge's callback URL for a provider name, for the redirectURL note. */
  callbackUrl: (name: string) => string;
  issues: FieldIssue[];
  warnings: FieldIssue[];
}

/** KubeSphere's provider type names and the edgetower type each becomes. */
export const kubeSphereTypes: Record<string, IdentityProviderType> = {
  LDAPIdentityProvider: 'ldap',
  OIDCIdentityProvider: 'oidc',
  GitHubIdentityProvider: 'github',
  CASIdentityProvider: 'cas',
};

const mappingMethods: Record<string, MappingMethod> = {
  auto: 'auto',
  lookup: 'lookup',
  mixed: 'mixed',
};

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** KubeSphere configs write unset settings as "" or null: both mean "not set". */
const unset = (v: unknown) => v === undefined || v === null || v === '';

/** Reads a KubeSphere `provider` map, noting what each edgetower field came from. */
class ProviderReader {
  readonly config: Record<string, unknown> = {};
  readonly origin: Record<string, string> = {};
  private readonly read = new Set<string>();

  constructor(
    private readonly source: Record<string, unknown>,
    private readonly context: TranslateContext,
    private readonly kubeSphereType: string,
  ) {}

  private field = (key: string) => `${this.context.path}.provider.${key}`;

  get(key: string): unknown {
    this.read.add(key);
    return unset(this.source[key]) ? undefined : this.source[key];
  }

  set(to: string, value: unknown, from: string) {
    this.config[to] = value;
    this.origin[to] = from;
  }

  copy(from: string, to = from) {
    const value = this.get(from);
    if (value !== undefined) this.set(to, value, from);
  }

  problem(key: string, message: string) {
    this.context.issues.push({ path: this.field(key), message });
  }

  note(key: string, message: string) {
    this.context.warnings.push({ path: this.field(key), message });
  }

  /** A setting edgetower does not apply: noted when it is set, never an error. */
  ignore(key: string, why: string) {
    const value = this.get(key);
    if (value !== undefined && value !== false) this.note(key, `ignored: ${why}`);
  }

  /** `insecureSkipVerify: true` is refused: edgetower always verifies TLS. */
  refuseInsecure(hint: string) {
    if (this.get('insecureSkipVerify') === true)
      this.problem('insecureSkipVerify', `edgetower always verifies certificates; ${hint}`);
  }

  redirectNote(name: string) {
    if (this.get('redirectURL') !== undefined)
      this.note(
        'redirectURL',
        `replaced: register ${this.context.callbackUrl(name)} as the redirect (callback) URL at the provider`,
      );
  }

  /** Keys nobody read are settings edgetower does not know: refused, not silently dropped. */
  finish() {
    for (const key of Object.keys(this.source))
      if (!this.read.has(key))
        this.problem(key, `not a ${this.kubeSphereType} setting edgetower knows`);
  }
}

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

const readers: Record<
  IdentityProviderType,
  ((p: ProviderReader, name: string) => void) | undefined
> = { ldap, oidc, github, cas, oauth2: undefined };

const entryKeys = new Set([
  'name',
  'type',
  'mappingMethod',
  'displayName',
  'hidden',
  'disabled',
  'provider',
]);

/** Translates one entry; problems go to `context.issues`, notes to `context.warnings`. */
export function translateEntry(entry: unknown, context: TranslateContext): TranslationOutcome {
  const at = (key: string) => `${context.path}.${key}`;
  const before = context.issues.length;
  if (!isObject(entry)) {
    context.issues.push({ path: context.path, message: 'expected {name, type, provider}' });
    return { kind: 'invalid' };
  }
  const type = entry.type;
  const ours = typeof type === 'string' ? kubeSphereTypes[type] : undefined;
  if (typeof type === 'string' && !ours) {
    context.issues.push({
      path: at('type'),
      message: `"${type}" is not supported; edgetower imports ${Object.keys(kubeSphereTypes).join(', ')}`,
    });
    return { kind: 'unsupported', type };
  }
  if (!ours) context.issues.push({ path: at('type'), message: 'required' });
  const kubeSphereName = typeof entry.name === 'string' ? entry.name : '';
  const name = normaliseUsername(kubeSphereName);
  if (!kubeSphereName.trim() || !/[a-z0-9]/i.test(kubeSphereName))
    context.issues.push({ path: at('name'), message: 'required' });
  for (const key of Object.keys(entry))
    if (!entryKeys.has(key))
      context.issues.push({ path: at(key), message: 'not a KubeSphere identity provider field' });
  if (entry.disabled === true) return { kind: 'skipped', name, reason: 'disabled in KubeSphere' };
  if (entry.hidden === true)
    context.warnings.push({
      path: at('hidden'),
      message: 'ignored: edgetower lists every provider on its sign-in page',
    });
  const method = unset(entry.mappingMethod) ? 'auto' : String(entry.mappingMethod);
  const mappingMethod = mappingMethods[method];
  if (!mappingMethod)
    context.issues.push({
      path: at('mappingMethod'),
      message:
        method === 'manual'
          ? 'manual (an onboarding page to pick the name) is not supported: use auto, lookup or mixed'
          : 'expected auto, lookup or mixed',
    });
  const displayName = unset(entry.displayName) ? undefined : entry.displayName;
  if (displayName !== undefined && (typeof displayName !== 'string' || displayName.length > 128))
    context.issues.push({
      path: at('displayName'),
      message: 'expected text of at most 128 characters',
    });
  if (!isObject(entry.provider)) {
    context.issues.push({ path: at('provider'), message: 'expected a map of settings' });
    return { kind: 'invalid' };
  }
  if (!ours) return { kind: 'invalid' };
  const reader = new ProviderReader(entry.provider, context, String(type));
  readers[ours]?.(reader, name);
  reader.finish();
  if (context.issues.length > before || !mappingMethod) return { kind: 'invalid' };
  return {
    kind: 'ok',
    translation: {
      name,
      kubeSphereName,
      type: ours,
      displayName:
        (displayName as string | undefined) ??
        (kubeSphereName !== name ? kubeSphereName : undefined),
      mappingMethod,
      config: reader.config,
      origin: reader.origin,
    },
  };
}
