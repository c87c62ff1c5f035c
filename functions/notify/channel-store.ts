import type { ChannelRow } from '../../db/queries/notify-channels';
import type { ChannelType } from '../../db/schema/notification-channels';
import { decryptSecret, encryptSecret } from '../crypto/secrets';
import type { Env } from '../env';
import { validationError } from '../errors';
import { type ChannelConfig, channelConfigs, splitConfig, targetsOf } from './channel-configs';
import { assertTargetsAllowed } from './target-check';

/** The full config of a stored channel: settings plus decrypted secrets. */
export async function channelConfig(env: Env, row: ChannelRow): Promise<ChannelConfig> {
  const secrets = JSON.parse(await decryptSecret(env.SECRETS_KEY, row.secrets)) as ChannelConfig;
  return { ...row.settings, ...secrets };
}

/**
 * Validates a config for `type` (with secrets kept from `previous` when the
 * update omits them), refuses private targets, and seals the secrets.
 */
export async function sealConfig(
  env: Env,
  type: ChannelType,
  input: ChannelConfig,
  previous?: ChannelConfig,
): Promise<{ settings: ChannelConfig; secrets: string }> {
  const merged: ChannelConfig = { ...input };
  if (previous)
    for (const key of channelConfigs[type].secret as readonly string[])
      if (merged[key] === undefined && previous[key] !== undefined) merged[key] = previous[key];
  const parsed = channelConfigs[type].schema.safeParse(merged);
  if (!parsed.success) {
    const error = validationError(parsed.error, 'config');
    throw error;
  }
  const config = parsed.data as ChannelConfig;
  assertTargetsAllowed(env, targetsOf(type, config));
  const { settings, secrets } = splitConfig(type, config);
  return { settings, secrets: await encryptSecret(env.SECRETS_KEY, JSON.stringify(secrets)) };
}

export const secretFieldsOf = async (env: Env, row: ChannelRow) =>
  Object.keys(
    JSON.parse(await decryptSecret(env.SECRETS_KEY, row.secrets)) as ChannelConfig,
  ).sort();
