import { z } from '@hono/zod-openapi';
import { ApiError } from '../../errors';
import { parseServiceResponse } from '../cas/service-response';
import { providerFailure } from '../errors';
import { checkProviderUrl } from '../oidc/discovery';
import type { IdentityProviderPlugin } from '../types';

export const casConfigSchema = z.strictObject({
  /** The CAS base URL, e.g. https://cas.example.org/cas (login at <url>/login). */
  serverUrl: z.url().max(1024),
  /** 3 (default): /p3/serviceValidate with attributes; 2: /serviceValidate. */
  protocolVersion: z.union([z.literal(2), z.literal(3)]).optional(),
  emailAttribute: z.string().min(1).max(128).optional(),
  displayNameAttribute: z.string().min(1).max(128).optional(),
  groupsAttribute: z.string().min(1).max(128).optional(),
});
export type CasConfig = z.infer<typeof casConfigSchema>;

const MAX_RESPONSE_CHARS = 256 * 1024;

const base = (config: CasConfig) => config.serverUrl.replace(/\/+$/, '');

/** CAS has no state parameter: the state rides in the service URL, which must match on validation. */
const serviceUrl = (redirectUri: string, state: string) =>
  `${redirectUri}?${new URLSearchParams({ state })}`;

/** CAS 2/3: /login redirect and serviceValidate (XML, CAS 3 attributes). */
export const casPlugin: IdentityProviderPlugin<CasConfig> = {
  type: 'cas',
  configSchema: casConfigSchema,
  secretFields: [],
  hosts: (config) => [new URL(config.serverUrl).hostname],

  async startRedirect(provider, { redirectUri, state }, context) {
    const url = checkProviderUrl(
      provider.name,
      `${base(provider.config)}/login`,
      context.allowPrivateHosts,
    );
    url.search = new URLSearchParams({ service: serviceUrl(redirectUri, state) }).toString();
    return { url: url.href };
  },

  async finishRedirect(provider, { query, redirectUri }, context) {
    const config = provider.config;
    if (!query.ticket || !query.state)
      throw new ApiError(
        401,
        `Identity provider "${provider.name}": the callback carries no ticket.`,
        {
          code: 'identity_rejected',
        },
      );
    const path = config.protocolVersion === 2 ? '/serviceValidate' : '/p3/serviceValidate';
    const url = checkProviderUrl(
      provider.name,
      `${base(config)}${path}`,
      context.allowPrivateHosts,
    );
    url.search = new URLSearchParams({
      service: serviceUrl(redirectUri, query.state),
      ticket: query.ticket,
    }).toString();
    let xml: string;
    try {
      const res = await fetch(url, { redirect: 'manual' });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      xml = await res.text();
      // A serviceResponse is a few KiB; anything far larger is not one.
      if (xml.length > MAX_RESPONSE_CHARS) throw new Error('the answer is too large');
    } catch (error) {
      throw providerFailure(
        provider.name,
        `serviceValidate failed (${error instanceof Error ? error.message : error})`,
      );
    }
    const result = parseServiceResponse(xml);
    if (!result.ok)
      throw new ApiError(
        401,
        `Identity provider "${provider.name}": the ticket was refused (${result.code}: ${result.message}).`,
        {
          code: 'identity_rejected',
        },
      );
    const attr = (name: string | undefined, fallback: string) =>
      result.attributes[name ?? fallback];
    return {
      externalId: result.user,
      username: result.user,
      email: attr(config.emailAttribute, 'email')?.[0],
      displayName: attr(config.displayNameAttribute, 'displayName')?.[0],
      groups: attr(config.groupsAttribute, 'memberOf') ?? [],
    };
  },
};
