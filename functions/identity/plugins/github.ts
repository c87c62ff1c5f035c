import { z } from '@hono/zod-openapi';
import type { IdentityProviderPlugin } from '../types';
import type { OAuth2Config } from './oauth2';
import { oauth2Flow } from './oauth2';

export const githubConfigSchema = z.strictObject({
  clientId: z.string().min(1).max(256),
  clientSecret: z.string().min(1).max(1024),
  scopes: z.array(z.string().min(1).max(128)).max(20).optional(),
  /** GitHub Enterprise Server: its base URL (the API is at <url>/api/v3). Default: github.com. */
  enterpriseUrl: z.url().max(1024).optional(),
});
export type GithubConfig = z.infer<typeof githubConfigSchema>;

function asOAuth2(config: GithubConfig): OAuth2Config {
  const base = (config.enterpriseUrl ?? 'https://github.com').replace(/\/+$/, '');
  return {
    authorizeUrl: `${base}/login/oauth/authorize`,
    tokenUrl: `${base}/login/oauth/access_token`,
    userInfoUrl: config.enterpriseUrl ? `${base}/api/v3/user` : 'https://api.github.com/user',
    clientId: config.clientId,
    clientSecret: config.clientSecret,
    scopes: config.scopes ?? ['read:user', 'user:email'],
    idField: 'id',
    usernameField: 'login',
    emailField: 'email',
    displayNameField: 'name',
  };
}

/** GitHub (and GitHub Enterprise): the OAuth2 flow with GitHub's endpoints and user fields. */
export const githubPlugin: IdentityProviderPlugin<GithubConfig> = {
  type: 'github',
  configSchema: githubConfigSchema,
  secretFields: ['clientSecret'],
  ...oauth2Flow(asOAuth2),
};
