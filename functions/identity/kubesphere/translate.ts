import type { IdentityProviderType, MappingMethod } from '../../../db/schema/identity-providers';
import { normaliseUsername } from '../usernames';
import { readers } from './providers';
import { isObject, ProviderReader, type TranslateContext, unset } from './reader';

export type { TranslateContext };

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
        (kubeSphereName !== name ? kubeSphereName.slice(0, 128) : undefined),
      mappingMethod,
      config: reader.config,
      origin: reader.origin,
    },
  };
}
