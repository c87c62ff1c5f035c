import type { ChannelType } from '../../db/schema/notification-channels';
import type { Env } from '../env';
import { ApiError } from '../errors';
import { hostOfUrl } from '../net/host';
import { flagEnabled, privateDestinationProblem } from '../net/private-address';
import type { ChannelConfig } from './channel-configs';
import { channelTargets } from './targets';

type PrivateFlag = Pick<Env, 'ALLOW_PRIVATE_WEBHOOKS'>;

/**
 * A send the edge refused before connecting: the target is not a public
 * destination. Permanent: retrying cannot change the answer.
 */
export class TargetRefused extends Error {
  override readonly name = 'TargetRefused';
}

/** Why the edge refuses to call `host`, or undefined. */
export const hostProblem = (env: PrivateFlag, host: string) =>
  privateDestinationProblem(host, flagEnabled(env.ALLOW_PRIVATE_WEBHOOKS));

/**
 * Why the edge refuses to call the URL `target` (not public, unless
 * ALLOW_PRIVATE_WEBHOOKS is on; cloud metadata never), or undefined.
 */
export function targetProblem(env: PrivateFlag, target: string): string | undefined {
  const host = hostOfUrl(target);
  return host === undefined ? `"${target}" is not a URL` : hostProblem(env, host);
}

/** Throws TargetRefused unless the edge may call `target` (a URL), right before it does. */
export function assertUrlAllowed(env: PrivateFlag, target: string): void {
  const problem = targetProblem(env, target);
  if (problem) throw new TargetRefused(problem);
}

/** The first refused destination of a channel config, with its field, or undefined. */
export function channelTargetProblem(
  env: PrivateFlag,
  type: ChannelType,
  config: ChannelConfig,
): { field: string; problem: string } | undefined {
  for (const { field, host } of channelTargets(type, config)) {
    const problem = hostProblem(env, host);
    if (problem) return { field, problem };
  }
  return undefined;
}

/** 400 `target_not_allowed` naming the first refused destination of a channel config. */
export function assertTargetsAllowed(
  env: PrivateFlag,
  type: ChannelType,
  config: ChannelConfig,
): void {
  const refused = channelTargetProblem(env, type, config);
  if (!refused) return;
  const message = `config.${refused.field}: ${refused.problem}. ALLOW_PRIVATE_WEBHOOKS=true lets private and loopback targets through for local development (never cloud metadata).`;
  throw new ApiError(400, message, {
    code: 'target_not_allowed',
    fields: [{ path: `config.${refused.field}`, message: refused.problem }],
  });
}
