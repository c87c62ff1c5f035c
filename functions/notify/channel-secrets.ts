import type { ChannelType } from '../../db/schema/notification-channels';
import { ApiError } from '../errors';
import { type ChannelConfig, channelConfigs } from './channel-configs';
import { channelTargets } from './targets';

/**
 * Write-only secrets belong to the destination they were given for. An
 * update may leave them out and keep them, but only while the channel
 * still sends to the same places (every URL, API base and SMTP host:port
 * spelled the same after normalization); pointing the channel elsewhere
 * needs each stored secret supplied again, or `null` to drop it, so a
 * token for one server never travels to another.
 */

const secretKeysOf = (type: ChannelType): readonly string[] => channelConfigs[type].secret;

/**
 * `input` with secrets it leaves out taken from `previous` (`null` drops
 * one), and the names of those kept: what an update is validated as.
 */
export function withKeptSecrets(
  type: ChannelType,
  input: ChannelConfig,
  previous: ChannelConfig | undefined,
): { config: ChannelConfig; kept: string[] } {
  const config: ChannelConfig = { ...input };
  const kept: string[] = [];
  for (const key of secretKeysOf(type)) {
    if (config[key] === null) delete config[key];
    else if (config[key] === undefined && previous?.[key] !== undefined) {
      config[key] = previous[key];
      kept.push(key);
    }
  }
  return { config, kept };
}

const destinations = (type: ChannelType, config: ChannelConfig) =>
  channelTargets(type, config)
    .map((t) => t.identity)
    .sort()
    .join('\n');

/** 400 `secrets_required_for_new_target` when kept secrets would go to a destination they were not given for. */
export function assertSecretsFollowTarget(
  type: ChannelType,
  config: ChannelConfig,
  kept: string[],
  previous: ChannelConfig,
): void {
  if (!kept.length || destinations(type, config) === destinations(type, previous)) return;
  const names = kept.join(', ');
  throw new ApiError(
    400,
    `The channel's destination changed, and its stored ${names} would go to the new one: supply ${names} again (or null to drop ${kept.length > 1 ? 'them' : 'it'}).`,
    {
      code: 'secrets_required_for_new_target',
      fields: kept.map((key) => ({
        path: `config.${key}`,
        message: 'write-only; supply it again for the new destination, or null to drop it',
      })),
    },
  );
}
