import { z } from '@hono/zod-openapi';
import { providerFailure } from '../errors';
import { checkProviderUrl } from '../oidc/discovery';
import type { IdentityProviderPlugin } from '../types';
import type { OAuth2Config, OAuth2Enrichment } from './oauth2';
import { oauth2Flow } from './oauth2';

export const githubConfigSchema = z.strictObject({
  clientId: z.string().min(1).max(256),
  clientSecret: z.string().min(1).max(1024),
  /** Add `read:org` to map organisations and teams to groups. */
  scopes: z.array(z.string().min(1).max(128)).max(20).optional(),
  /** GitHub Enterprise Server: its base URL (the API is at <url>/api/v3). Default: github.com. */
  enterpriseUrl: z.url().max(1024).optional(),
});
export type GithubConfig = z.infer<typeof githubConfigSchema>;

const apiBase = (config: GithubConfig) =>
  config.enterpriseUrl
    ? `${config.enterpriseUrl.replace(/\/+$/, '')}/api/v3`
    : 'https://api.github.com';

function asOAuth2(config: GithubConfig): OAuth2Config {
  const base = (config.enterpriseUrl ?? 'https://github.com').replace(/\/+$/, '');
  return {
    authorizeUrl: `${base}/login/oauth/authorize`,
    tokenUrl: `${base}/login/oauth/access_token`,
    userInfoUrl: `${apiBase(config)}/user`,
    clientId: config.clientId,
    clientSecret: config.clientSecret,
    scopes: config.scopes ?? ['read:user', 'user:email'],
    idField: 'id',
    usernameField: 'login',
    emailField: 'email',
    displayNameField: 'name',
  };
}

/** At most this many pages of 100 organisations or teams are read per sign-in. */
const MAX_PAGES = 5;

const nextPage = (link: string | null) => /<([^>]+)>\s*;\s*rel="next"/.exec(link ?? '')?.[1];

/** GETs a GitHub API list, following `Link: rel="next"` on the same origin. */
async function githubList(
  providerName: string,
  step: string,
  first: URL,
  accessToken: string,
): Promise<unknown[]> {
  const items: unknown[] = [];
  let url: URL | undefined = first;
  for (let page = 0; url && page < MAX_PAGES; page++) {
    let res: Response;
    try {
      res = await fetch(url, {
        redirect: 'manual',
        headers: {
          authorization: `Bearer ${accessToken}`,
          accept: 'application/vnd.github+json',
          'user-agent': 'edgetower',
        },
      });
    } catch (error) {
      throw providerFailure(
        providerName,
        `${step} is unreachable (${error instanceof Error ? error.message : error})`,
      );
    }
    const body: unknown = await res.json().catch(() => undefined);
    if (!res.ok || !Array.isArray(body))
      throw providerFailure(providerName, `${step} failed (HTTP ${res.status})`);
    items.push(...body);
    const next = nextPage(res.headers.get('link'));
    url = next && new URL(next).origin === first.origin ? new URL(next) : undefined;
  }
  return items;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;

/**
 * What /user leaves out: the e-mail of a user who keeps it private (null
 * there) comes from /user/emails, the primary one and only if verified; with
 * `read:org` granted, organisations (`acme`) and teams (`acme/platform`)
 * become groups. Without `read:org` GitHub would list public memberships
 * only, so nothing is asked and no group is claimed.
 */
const enrichFromGithub: OAuth2Enrichment<GithubConfig> = async ({
  provider,
  accessToken,
  grantedScopes,
  identity,
  context,
}) => {
  const api = (path: string) =>
    checkProviderUrl(
      provider.name,
      `${apiBase(provider.config)}${path}`,
      context.allowPrivateHosts,
    );
  let { email } = identity;
  if (!email) {
    // Without user:email the endpoint answers 404: the identity simply has no e-mail then.
    const emails = await githubList(
      provider.name,
      'the /user/emails endpoint',
      api('/user/emails'),
      accessToken,
    ).catch(() => []);
    const primary = emails.find((e) => isObject(e) && e.primary === true && e.verified === true);
    email = isObject(primary) && typeof primary.email === 'string' ? primary.email : undefined;
  }
  const groups = [...identity.groups];
  if (grantedScopes.has('read:org')) {
    const orgs = await githubList(
      provider.name,
      'the /user/orgs endpoint',
      api('/user/orgs?per_page=100'),
      accessToken,
    );
    const teams = await githubList(
      provider.name,
      'the /user/teams endpoint',
      api('/user/teams?per_page=100'),
      accessToken,
    );
    for (const org of orgs)
      if (isObject(org) && typeof org.login === 'string') groups.push(org.login);
    for (const team of teams)
      if (
        isObject(team) &&
        typeof team.slug === 'string' &&
        isObject(team.organization) &&
        typeof team.organization.login === 'string'
      )
        groups.push(`${team.organization.login}/${team.slug}`);
  }
  return { ...identity, email, groups: [...new Set(groups)] };
};

/** GitHub (and GitHub Enterprise): the OAuth2 flow with GitHub's endpoints and user fields. */
export const githubPlugin: IdentityProviderPlugin<GithubConfig> = {
  type: 'github',
  configSchema: githubConfigSchema,
  secretFields: ['clientSecret'],
  ...oauth2Flow(asOAuth2, enrichFromGithub),
};
