import type { GroupMapping, IdentityProviderRow } from '../../db/queries/identity-providers';
import { decryptSecret, encryptSecret } from '../crypto/secrets';
import type { Env } from '../env';
import { badRequest } from '../errors';
import { privateDestinationProblem } from '../net/private-address';
import { settings } from '../settings';
import { providerFailure } from './errors';
import { pluginFor } from './plugins';
import type { IdentityProviderPlugin, PluginContext, ResolvedProvider } from './types';

export const pluginContext = (env: Env): PluginContext => ({
  env,
  allowPrivateHosts: settings(env).allowPrivateIdpHosts,
});

function pluginOf(row: Pick<IdentityProviderRow, 'type' | 'name'>): IdentityProviderPlugin {
  const plugin = pluginFor(row.type);
  if (!plugin) throw providerFailure(row.name, `type "${row.type}" is not supported by this edge`);
  return plugin;
}

/**
 * Validates a provider's whole config (secrets included) with its plugin's
 * schema, checks its hosts against the SSRF rule, and splits it into the
 * public part and the sealed secrets.
 */
export async function sealConfig(
  env: Env,
  type: IdentityProviderRow['type'],
  config: Record<string, unknown>,
): Promise<{ config: Record<string, unknown>; sealedSecrets: string | null }> {
  const plugin = pluginFor(type);
  if (!plugin)
    throw badRequest(`Identity provider type "${type}" is not supported yet.`, [
      { path: 'type', message: 'unsupported type' },
    ]);
  const parsed = plugin.configSchema.safeParse(config);
  if (!parsed.success)
    throw badRequest(
      'Invalid identity provider config.',
      parsed.error.issues.map((i) => ({
        path: ['config', ...i.path.map(String)].join('.'),
        message: i.message,
      })),
    );
  const valid = parsed.data as Record<string, unknown>;
  const allowPrivate = pluginContext(env).allowPrivateHosts;
  for (const host of plugin.hosts(valid)) {
    const problem = privateDestinationProblem(host, allowPrivate);
    if (problem)
      throw badRequest(`Invalid identity provider config: ${problem}.`, [
        { path: 'config', message: problem },
      ]);
  }
  const publicPart: Record<string, unknown> = {};
  const secrets: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(valid)) {
    if (plugin.secretFields.includes(key)) secrets[key] = value;
    else publicPart[key] = value;
  }
  const sealedSecrets = Object.keys(secrets).length
    ? await encryptSecret(env.SECRETS_KEY, JSON.stringify(secrets))
    : null;
  return { config: publicPart, sealedSecrets };
}

/** The stored secret values (for an update that leaves them out). */
export async function unsealSecrets(
  env: Env,
  row: IdentityProviderRow,
): Promise<Record<string, unknown>> {
  if (!row.sealedSecrets) return {};
  let plain: string;
  try {
    plain = await decryptSecret(env.SECRETS_KEY, row.sealedSecrets);
  } catch (error) {
    throw providerFailure(
      row.name,
      'its stored secrets cannot be decrypted (was SECRETS_KEY changed?)',
      error,
    );
  }
  return JSON.parse(plain) as Record<string, unknown>;
}

export const publicConfig = (row: IdentityProviderRow) =>
  JSON.parse(row.config) as Record<string, unknown>;

export const groupMappingsOf = (row: IdentityProviderRow) =>
  JSON.parse(row.groupMappings) as GroupMapping[];

/** The secret fields that have a stored value (values never leave the edge). */
export function configuredSecrets(row: IdentityProviderRow): string[] {
  const plugin = pluginFor(row.type);
  return row.sealedSecrets && plugin ? [...plugin.secretFields] : [];
}

/** A provider ready for its plugin: config with secrets decrypted. */
export async function resolveProvider(
  env: Env,
  row: IdentityProviderRow,
): Promise<{ plugin: IdentityProviderPlugin; provider: ResolvedProvider<unknown> }> {
  const plugin = pluginOf(row);
  const config = { ...publicConfig(row), ...(await unsealSecrets(env, row)) };
  return {
    plugin,
    provider: {
      id: row.id,
      name: row.name,
      type: row.type,
      mappingMethod: row.mappingMethod,
      config,
    },
  };
}
