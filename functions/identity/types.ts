import type { z } from '@hono/zod-openapi';
import type { IdentityProviderType, MappingMethod } from '../../db/schema/identity-providers';
import type { Env } from '../env';

/** Who the provider says the person is. */
export interface ExternalIdentity {
  /** Stable at the provider (LDAP entryUUID or DN, OIDC `sub`, GitHub id, CAS user). */
  externalId: string;
  /** The provider's login name, before normalisation. */
  username: string;
  email?: string | undefined;
  displayName?: string | undefined;
  /** Provider group names, for group mapping. */
  groups: string[];
}

export type PasswordCheck =
  | { ok: true; identity: ExternalIdentity }
  | { ok: false; reason: 'invalid_credentials' };

/** A configured provider with its secrets decrypted, as plugins receive it. */
export interface ResolvedProvider<Config> {
  id: string;
  name: string;
  type: IdentityProviderType;
  mappingMethod: MappingMethod;
  config: Config;
}

export interface PluginContext {
  env: Env;
  /** Whether private/loopback provider hosts may be reached (ALLOW_PRIVATE_IDP_HOSTS). */
  allowPrivateHosts: boolean;
}

/** A browser sign-in that needs state kept between the redirect and the callback. */
export interface RedirectStart {
  url: string;
  /** Kept server side with the state (PKCE verifier, nonce). */
  verifier?: string | undefined;
  nonce?: string | undefined;
}

export interface CallbackInput {
  /** The callback URL's query parameters. */
  query: Record<string, string>;
  /** This edge's callback URL for the provider (must equal the one in the redirect). */
  redirectUri: string;
  verifier?: string | undefined;
  nonce?: string | undefined;
}

/**
 * One identity-provider type. Adding a type is adding one file that exports
 * such a plugin and listing it in plugins/index.ts.
 */
export interface IdentityProviderPlugin<Config = unknown> {
  readonly type: IdentityProviderType;
  /** Validates the whole config, secrets included. */
  readonly configSchema: z.ZodType<Config>;
  /** Config keys that are secrets: write-only, sealed at rest. */
  readonly secretFields: readonly string[];
  /** Hosts the edge will contact, for the SSRF check at configuration time. */
  hosts(config: Config): string[];
  /** Password sign-in (LDAP): `grant_type=password`. */
  passwordLogin?(
    provider: ResolvedProvider<Config>,
    username: string,
    password: string,
    context: PluginContext,
  ): Promise<PasswordCheck>;
  /** Browser sign-in: where to send the user. */
  startRedirect?(
    provider: ResolvedProvider<Config>,
    input: { redirectUri: string; state: string },
    context: PluginContext,
  ): Promise<RedirectStart>;
  /** Browser sign-in: turn the provider's callback into an identity (throws ApiError on failure). */
  finishRedirect?(
    provider: ResolvedProvider<Config>,
    input: CallbackInput,
    context: PluginContext,
  ): Promise<ExternalIdentity>;
}
