import type { Env } from '../env';
import { badRequest } from '../errors';
import { flagEnabled, privateDestinationProblem } from '../net/private-address';

/**
 * Why the edge refuses to call `target` (private, loopback, link-local or
 * metadata destinations, unless ALLOW_PRIVATE_WEBHOOKS is on), or undefined.
 */
export function targetProblem(
  env: Pick<Env, 'ALLOW_PRIVATE_WEBHOOKS'>,
  target: string,
): string | undefined {
  let host: string;
  try {
    host = new URL(target).hostname;
  } catch {
    return `"${target}" is not a URL`;
  }
  return privateDestinationProblem(host, flagEnabled(env.ALLOW_PRIVATE_WEBHOOKS));
}

/** 400 naming the first refused target of a channel config. */
export function assertTargetsAllowed(
  env: Pick<Env, 'ALLOW_PRIVATE_WEBHOOKS'>,
  targets: string[],
): void {
  for (const target of targets) {
    const problem = targetProblem(env, target);
    if (problem)
      throw badRequest(`${problem}. Set ALLOW_PRIVATE_WEBHOOKS=true only for local development.`);
  }
}
