import type { ChannelRow } from '../../db/queries/notify-channels';
import type { ChannelType } from '../../db/schema/notification-channels';
import { decryptSecret, encryptSecret } from '../crypto/secrets';
import type { Env } from '../env';
import { validationError } from '../errors';
import { type ChannelConfig, channelConfigs, splitConfig } from './channel-configs';
import { assertSecretsFollowTarget, withKeptSecrets } from './channel-secrets';
import { assertTargetsAllowed } from './target-check';

/** The full config of a stored channel: settings plus decrypted secrets. */
export async function channelConfig(env: Env, row: ChannelRow): Promise<ChannelConfig> {
  const secrets = JSON.parse(await decryptSecret(env.SECRETS_KEY, row.secrets)) as ChannelConfig;
  return { ...row.settings, ...secrets };
}

/**
 * Validates a config for `type` (on update, with secrets kept from
 * `previous` while the destinations stay the same), refuses destinations
 * that are not public, and seals the secrets.
 */
export async function sealConfig(
  env: Env,
  type: ChannelType,
  input: ChannelConfig,
  previous?: ChannelConfig,
): Promise<{ settings: ChannelConfig; secrets: string }> {
  const merged = withKeptSecrets(type, input, previous);
  const parsed = channelConfigs[type].schema.safeParse(merged.config);
  if (!parsed.success) throw validationError(parsed.error, 'config');
  const config = parsed.data as ChannelConfig;
  assertTargetsAllowed(env, type, config);
  if (previous) assertSecretsFollowTarget(type, config, merged.kept, previous);
  const { settings, secrets } = splitConfig(type, config);
  return { settings, secrets: await encryptSecret(env.SECRETS_KEY, JSON.stringify(secrets)) };
}

export const secretFieldsOf = async (env: Env, row: ChannelRow) =>
  Object.keys(
    JSON.parse(await decryptSecret(env.SECRETS_KEY, row.secrets)) as ChannelConfig,
  ).sort();
