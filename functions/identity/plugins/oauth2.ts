import { z } from '@hono/zod-openapi';
import { ApiError } from '../../errors';
import { pickString, pickStrings } from '../claims';
import { providerJson } from '../oauth2/exchange';
import { checkProviderUrl } from '../oidc/discovery';
import { newVerifier, s256Challenge } from '../oidc/pkce';
import type {
  ExternalIdentity,
  IdentityProviderPlugin,
  PluginContext,
  ResolvedProvider,
} from '../types';

export const oauth2ConfigSchema = z.strictObject({
  authorizeUrl: z.url().max(1024),
  tokenUrl: z.url().max(1024),
  userInfoUrl: z.url().max(1024),
  clientId: z.string().min(1).max(256),
  clientSecret: z.string().min(1).max(1024),
  scopes: z.array(z.string().min(1).max(128)).max(20).optional(),
  /** Dotted paths into the user endpoint's JSON. */
  idField: z.string().min(1).max(128).optional(),
  usernameField: z.string().min(1).max(128).optional(),
  emailField: z.string().min(1).max(128).optional(),
  displayNameField: z.string().min(1).max(128).optional(),
  groupsField: z.string().min(1).max(128).optional(),
});
export type OAuth2Config = z.infer<typeof oauth2ConfigSchema>;

const refused = (provider: string, why: string) =>
  new ApiError(401, `Identity provider "${provider}": ${why}.`, { code: 'identity_rejected' });

const hostOf = (url: string) => new URL(url).hostname;

/** What a preset adds after the user endpoint (GitHub: private e-mail, organisations). */
export type OAuth2Enrichment<Config> = (input: {
  provider: ResolvedProvider<Config>;
  accessToken: string;
  /** Scopes the token response says were granted (RFC 6749 §5.1; GitHub separates them with commas). */
  grantedScopes: ReadonlySet<string>;
  identity: ExternalIdentity;
  context: PluginContext;
}) => Promise<ExternalIdentity>;

/** The scopes a token response grants; none when it does not say. */
export function grantedScopes(tokens: Record<string, unknown>): Set<string> {
  return new Set(
    typeof tokens.scope === 'string' ? tokens.scope.split(/[\s,]+/).filter(Boolean) : [],
  );
}

/** The authorize -> token -> user endpoint dance shared by generic OAuth2 and GitHub. */
export function oauth2Flow<Config>(
  toOAuth2: (config: Config) => OAuth2Config,
  enrich?: OAuth2Enrichment<Config>,
) {
  return {
    hosts: (config: Config) => {
      const c = toOAuth2(config);
      return [hostOf(c.authorizeUrl), hostOf(c.tokenUrl), hostOf(c.userInfoUrl)];
    },

    async startRedirect(
      provider: ResolvedProvider<Config>,
      { redirectUri, state }: { redirectUri: string; state: string },
      context: PluginContext,
    ) {
      const config = toOAuth2(provider.config);
      const url = checkProviderUrl(provider.name, config.authorizeUrl, context.allowPrivateHosts);
      // PKCE too: providers that know it (GitHub does) bind the code to this sign-in.
      const verifier = newVerifier();
      url.search = new URLSearchParams({
        response_type: 'code',
        client_id: config.clientId,
        redirect_uri: redirectUri,
        state,
        code_challenge: await s256Challenge(verifier),
        code_challenge_method: 'S256',
        ...(config.scopes?.length ? { scope: config.scopes.join(' ') } : {}),
      }).toString();
      return { url: url.href, verifier };
    },

    async finishRedirect(
      provider: ResolvedProvider<Config>,
      input: { query: Record<string, string>; redirectUri: string; verifier?: string | undefined },
      context: PluginContext,
    ): Promise<ExternalIdentity> {
      const config = toOAuth2(provider.config);
      const { query } = input;
      if (query.error)
        throw refused(provider.name, `sign-in failed at the provider (${query.error})`);
      if (!query.code) throw refused(provider.name, 'the callback carries no code');
      const tokenUrl = checkProviderUrl(provider.name, config.tokenUrl, context.allowPrivateHosts);
      const userUrl = checkProviderUrl(
        provider.name,
        config.userInfoUrl,
        context.allowPrivateHosts,
      );
      const tokens = await providerJson(provider.name, 'the token endpoint', tokenUrl.href, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          accept: 'application/json',
        },
        body: new URLSearchParams({
          grant_type: 'authorization_code',
          code: query.code,
          redirect_uri: input.redirectUri,
          client_id: config.clientId,
          client_secret: config.clientSecret,
          code_verifier: input.verifier ?? '',
        }),
      });
      if (typeof tokens.access_token !== 'string')
        throw refused(provider.name, 'the token response has no access_token');
      const user = await providerJson(provider.name, 'the user endpoint', userUrl.href, {
        headers: {
          authorization: `Bearer ${tokens.access_token}`,
          accept: 'application/json',
          'user-agent': 'edgetower', // GitHub's API refuses requests without one
        },
      });
      const externalId = pickString(user, config.idField ?? 'id');
      if (!externalId) throw refused(provider.name, `the user has no "${config.idField ?? 'id'}"`);
      const username = pickString(user, config.usernameField ?? 'login') ?? externalId;
      const identity: ExternalIdentity = {
        externalId,
        username,
        email: pickString(user, config.emailField ?? 'email'),
        displayName: pickString(user, config.displayNameField ?? 'name'),
        groups: config.groupsField ? pickStrings(user, config.groupsField) : [],
      };
      return enrich
        ? enrich({
            provider,
            accessToken: tokens.access_token,
            grantedScopes: grantedScopes(tokens),
            identity,
            context,
          })
        : identity;
    },
  };
}

/** Generic OAuth2: authorize, token and user endpoints with configurable field paths. */
export const oauth2Plugin: IdentityProviderPlugin<OAuth2Config> = {
  type: 'oauth2',
  configSchema: oauth2ConfigSchema,
  secretFields: ['clientSecret'],
  ...oauth2Flow((config: OAuth2Config) => config),
};
