import { createRoute } from '@hono/zod-openapi';
import type { Context } from 'hono';
import {
  type IdentityListItem,
  linkIdentity,
  listIdentities,
  unlinkIdentity,
} from '../../db/queries/identities';
import {
  createIdentityProvider,
  deleteIdentityProvider,
  findIdentityProvider,
  type IdentityProviderRow,
  listIdentityProviders,
  updateIdentityProvider,
} from '../../db/queries/identity-providers';
import { findUserByName } from '../../db/queries/users';
import type { AppEnv } from '../env';
import { badRequest, notFound } from '../errors';
import { authorize, platformScope } from '../iam/authorize';
import { orConflict } from '../iam/conflicts';
import { listOf, pageOf, pageQuery, toPage } from '../iam/pagination';
import { errors, json, jsonBody, noContent, writeErrors } from '../iam/schemas';
import { bearerAuth, createRouter } from '../openapi';
import { issuerUrl } from '../settings';
import { importKubeSphereProviders } from './kubesphere/import';
import { forgetProvider } from './provider-cache';
import {
  configuredSecrets,
  groupMappingsOf,
  publicConfig,
  sealConfig,
  unsealSecrets,
} from './provider-config';
import {
  createProviderBody,
  identityParam,
  identitySchema,
  importBody,
  importResultSchema,
  linkIdentityBody,
  providerParam,
  providerSchema,
  updateProviderBody,
} from './schemas';

const tags = ['identity-providers'];
const resource = 'identityproviders';

const providerView = (row: IdentityProviderRow) => ({
  name: row.name,
  type: row.type,
  displayName: row.displayName,
  mappingMethod: row.mappingMethod,
  config: publicConfig(row),
  configuredSecrets: configuredSecrets(row),
  groupMappings: groupMappingsOf(row),
  createdAt: row.createdAt.toISOString(),
  updatedAt: row.updatedAt?.toISOString() ?? null,
});

const identityView = (item: IdentityListItem) => ({
  ...item,
  lastLoginAt: item.lastLoginAt?.toISOString() ?? null,
  createdAt: item.createdAt.toISOString(),
});

/** A request body as UTF-8 text (YAML is read as bytes: workerd warns on .text() of non-text types). */
function decodeBody(bytes: ArrayBuffer): string {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    throw badRequest('The body is not UTF-8 text.', [{ path: '(body)', message: 'not UTF-8' }]);
  }
}

/** Platform-level: only who may act on identity providers sees them (404 otherwise). */
async function providerFor(c: Context<AppEnv>, verb: string) {
  const name = c.req.param('name') ?? '';
  authorize(c.get('principal'), verb, resource, platformScope, `Identity provider "${name}"`);
  const row = await findIdentityProvider(c.get('db'), name);
  if (!row) throw notFound(`Identity provider "${name}"`);
  return row;
}

const list = createRoute({
  method: 'get',
  path: '/identity-providers',
  tags,
  security: bearerAuth,
  summary: 'List identity providers (platform admins)',
  request: { query: pageQuery },
  responses: { 200: json(listOf(providerSchema), 'One page of providers by name.'), ...errors },
});
const get = createRoute({
  method: 'get',
  path: '/identity-providers/{name}',
  tags,
  security: bearerAuth,
  summary: 'Get an identity provider (secrets are never returned)',
  request: { params: providerParam },
  responses: { 200: json(providerSchema, 'The provider.'), ...errors },
});
const create = createRoute({
  method: 'post',
  path: '/identity-providers',
  tags,
  security: bearerAuth,
  summary: 'Configure an identity provider (LDAP, OIDC, OAuth2, GitHub, CAS)',
  request: { body: jsonBody(createProviderBody) },
  responses: { 201: json(providerSchema, 'The new provider.'), ...writeErrors },
});
const importProviders = createRoute({
  method: 'post',
  path: '/identity-providers:import',
  tags,
  security: bearerAuth,
  summary: "Import KubeSphere's identity providers in one call (all or nothing)",
  description:
    "Takes KubeSphere's `authentication.oauthOptions.identityProviders` (YAML or JSON; the whole kubesphere-config is fine) and creates an edgetower provider for each LDAP, OIDC, GitHub and CAS entry. Names are normalised to DNS labels; secrets are sealed as on create; disabled entries are skipped. Unknown types are `400 unsupported_provider_type`, invalid settings `400 validation_failed`, each naming the entry and field.",
  request: { body: importBody },
  responses: { 201: json(importResultSchema, 'The providers created.'), ...writeErrors },
});
const update = createRoute({
  method: 'put',
  path: '/identity-providers/{name}',
  tags,
  security: bearerAuth,
  summary: 'Change an identity provider; secrets left out keep their value',
  request: { params: providerParam, body: jsonBody(updateProviderBody) },
  responses: { 200: json(providerSchema, 'The provider.'), ...writeErrors },
});
const remove = createRoute({
  method: 'delete',
  path: '/identity-providers/{name}',
  tags,
  security: bearerAuth,
  summary: 'Delete an identity provider and its identity links (the users stay)',
  request: { params: providerParam },
  responses: { ...noContent, ...errors },
});
const listLinks = createRoute({
  method: 'get',
  path: '/identity-providers/{name}/identities',
  tags,
  security: bearerAuth,
  summary: "List the provider's identities linked to edgetower users",
  request: { params: providerParam, query: pageQuery },
  responses: { 200: json(listOf(identitySchema), 'One page of identities.'), ...errors },
});
const link = createRoute({
  method: 'post',
  path: '/identity-providers/{name}/identities',
  tags,
  security: bearerAuth,
  summary: 'Link an external identity to an existing edgetower user',
  request: { params: providerParam, body: jsonBody(linkIdentityBody) },
  responses: { 201: json(identitySchema, 'The link.'), ...writeErrors },
});
const unlink = createRoute({
  method: 'delete',
  path: '/identity-providers/{name}/identities/{id}',
  tags,
  security: bearerAuth,
  summary: 'Unlink an identity (the user stays)',
  request: { params: identityParam },
  responses: { ...noContent, ...errors },
});

/** Identity providers and identity links, mounted at /api/v1. */
export const identityProviderRoutes = createRouter()
  .openapi(list, async (c) => {
    authorize(c.get('principal'), 'list', resource, platformScope, 'Identity providers');
    const page = toPage(c.req.valid('query'));
    const rows = await listIdentityProviders(c.get('db'), page);
    return c.json(
      pageOf(rows, page, (r) => r.name, providerView),
      200,
    );
  })
  .openapi(get, async (c) => c.json(providerView(await providerFor(c, 'get')), 200))
  .openapi(create, async (c) => {
    const input = c.req.valid('json');
    c.get('audit').name = input.name;
    authorize(c.get('principal'), 'create', resource, platformScope, 'Identity provider');
    const sealed = await sealConfig(c.env, input.type, input.config);
    const row = await orConflict(
      createIdentityProvider(c.get('db'), { ...input, ...sealed }),
      `Identity provider "${input.name}" already exists.`,
    );
    forgetProvider(c.env.DB, row.name);
    return c.json(providerView(row), 201);
  })
  .openapi(importProviders, async (c) => {
    const audit = c.get('audit');
    audit.resource = resource;
    authorize(c.get('principal'), 'create', resource, platformScope, 'Identity provider');
    const text = decodeBody(await c.req.arrayBuffer());
    const result = await importKubeSphereProviders(
      c.env,
      c.get('db'),
      text,
      (name) => `${issuerUrl(c.env, c.req.url)}/oauth/callback/${name}`,
    );
    audit.name = result.imported
      .map((r) => r.name)
      .join(',')
      .slice(0, 256);
    for (const row of result.imported) forgetProvider(c.env.DB, row.name);
    return c.json(
      {
        imported: result.imported.map(providerView),
        skipped: result.skipped,
        warnings: result.warnings,
      },
      201,
    );
  })
  .openapi(update, async (c) => {
    const row = await providerFor(c, 'update');
    const input = c.req.valid('json');
    const sealed = input.config
      ? await sealConfig(c.env, row.type, { ...(await unsealSecrets(c.env, row)), ...input.config })
      : { config: publicConfig(row), sealedSecrets: row.sealedSecrets };
    const updated = await updateIdentityProvider(c.get('db'), row.id, {
      displayName: input.displayName === undefined ? row.displayName : input.displayName,
      mappingMethod: input.mappingMethod ?? row.mappingMethod,
      groupMappings: input.groupMappings ?? groupMappingsOf(row),
      ...sealed,
    });
    forgetProvider(c.env.DB, row.name);
    return c.json(providerView(updated), 200);
  })
  .openapi(remove, async (c) => {
    const row = await providerFor(c, 'delete');
    await deleteIdentityProvider(c.get('db'), row.id);
    forgetProvider(c.env.DB, row.name);
    return c.body(null, 204);
  })
  .openapi(listLinks, async (c) => {
    const row = await providerFor(c, 'list');
    const page = toPage(c.req.valid('query'));
    const items = await listIdentities(c.get('db'), row.id, page);
    return c.json(
      pageOf(items, page, (i) => i.id, identityView),
      200,
    );
  })
  .openapi(link, async (c) => {
    const row = await providerFor(c, 'update');
    const input = c.req.valid('json');
    const db = c.get('db');
    const user = await findUserByName(db, input.user);
    if (!user)
      throw badRequest(`No user "${input.user}".`, [{ path: 'user', message: 'unknown user' }]);
    const created = await orConflict(
      linkIdentity(db, {
        providerId: row.id,
        externalId: input.externalId,
        externalUsername: input.externalUsername ?? null,
        userId: user.id,
      }),
      'This external identity is already linked to a user.',
    );
    c.get('audit').name = `${row.name}/${user.name}`;
    return c.json(
      identityView({
        id: created.id,
        externalId: created.externalId,
        externalUsername: created.externalUsername,
        user: user.name,
        lastLoginAt: created.lastLoginAt,
        createdAt: created.createdAt,
      }),
      201,
    );
  })
  .openapi(unlink, async (c) => {
    const row = await providerFor(c, 'update');
    const { id } = c.req.valid('param');
    if (!(await unlinkIdentity(c.get('db'), row.id, id))) throw notFound(`Identity "${id}"`);
    return c.body(null, 204);
  });
