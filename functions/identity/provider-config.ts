import type { GroupMapping, IdentityProviderRow } from '../../db/queries/identity-providers';
import { decryptSecret, encryptSecret } from '../crypto/secrets';
import type { Env } from '../env';
import { badRequest, type FieldIssue } from '../errors';
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

export type ConfigCheck =
  | { ok: true; plugin: IdentityProviderPlugin; valid: Record<string, unknown> }
  | { ok: false; issues: FieldIssue[] };

/**
 * Validates a provider's whole config (secrets included) with its plugin's
 * schema and checks its hosts against the SSRF rule. Issue paths are
 * relative to the config (`host`, `scopes.0`); `''` is the config as a whole.
 */
export function checkConfig(
  env: Env,
  type: IdentityProviderRow['type'],
  config: Record<string, unknown>,
): ConfigCheck {
  const plugin = pluginFor(type);
  if (!plugin)
    return { ok: false, issues: [{ path: '', message: `type "${type}" is not supported` }] };
  const parsed = plugin.configSchema.safeParse(config);
  if (!parsed.success)
    return {
      ok: false,
      issues: parsed.error.issues.map((i) => ({
        path: i.path.map(String).join('.'),
        message: i.message,
      })),
    };
  const valid = parsed.data as Record<string, unknown>;
  const allowPrivate = pluginContext(env).allowPrivateHosts;
  for (const host of plugin.hosts(valid)) {
    const problem = privateDestinationProblem(host, allowPrivate);
    if (problem) return { ok: false, issues: [{ path: '', message: problem }] };
  }
  return { ok: true, plugin, valid };
}

/** Splits a checked config into its public part and the sealed (AES-GCM) secrets. */
export async function sealChecked(
  env: Env,
  plugin: IdentityProviderPlugin,
  valid: Record<string, unknown>,
): Promise<{ config: Record<string, unknown>; sealedSecrets: string | null }> {
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

/** Validates a config (see checkConfig) and seals its secrets; 400 naming the fields otherwise. */
export async function sealConfig(
  env: Env,
  type: IdentityProviderRow['type'],
  config: Record<string, unknown>,
): Promise<{ config: Record<string, unknown>; sealedSecrets: string | null }> {
  if (!pluginFor(type))
    throw badRequest(`Identity provider type "${type}" is not supported yet.`, [
      { path: 'type', message: 'unsupported type' },
    ]);
  const checked = checkConfig(env, type, config);
  if (!checked.ok) {
    const [first] = checked.issues;
    const ssrf = checked.issues.length === 1 && first?.path === '';
    throw badRequest(
      ssrf
        ? `Invalid identity provider config: ${first?.message}.`
        : 'Invalid identity provider config.',
      checked.issues.map((i) => ({
        path: i.path ? `config.${i.path}` : 'config',
        message: i.message,
      })),
    );
  }
  return sealChecked(env, checked.plugin, checked.valid);
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
