import type { IdentityProviderType } from '../../../db/schema/identity-providers';
import type { IdentityProviderPlugin } from '../types';
import { casPlugin } from './cas';
import { githubPlugin } from './github';
import { ldapPlugin } from './ldap';
import { oauth2Plugin } from './oauth2';
import { oidcPlugin } from './oidc';

/** Every provider type edgetower knows; a new type is one file plus one line here. */
const plugins: Partial<Record<IdentityProviderType, IdentityProviderPlugin<never>>> = {
  ldap: ldapPlugin as IdentityProviderPlugin<never>,
  oidc: oidcPlugin as IdentityProviderPlugin<never>,
  oauth2: oauth2Plugin as IdentityProviderPlugin<never>,
  github: githubPlugin as IdentityProviderPlugin<never>,
  cas: casPlugin as IdentityProviderPlugin<never>,
};

export function pluginFor(type: IdentityProviderType): IdentityProviderPlugin<unknown> | undefined {
  return plugins[type] as IdentityProviderPlugin<unknown> | undefined;
}
