import { classifyHost, type Refusal } from './address-class';

/**
 * The one SSRF rule for every outbound call the edge makes to a URL or host
 * an admin configured (identity providers, notification channels): only
 * public unicast destinations, unless the deployment allows private ones
 * (local development, tests). Cloud metadata endpoints and hosts that are
 * no host are refused even then.
 */

/** Whether an env flag such as ALLOW_PRIVATE_IDP_HOSTS is on ("true" or "1"). */
export const flagEnabled = (value: string | undefined) => value === 'true' || value === '1';

/** Refusals no deployment flag lifts. */
const alwaysRefused = new Set<Refusal['kind']>(['metadata', 'invalid']);

/** Why the edge does not call `host` (given whether private destinations are allowed), or undefined. */
export function destinationRefusal(host: string, allowPrivate: boolean): Refusal | undefined {
  const refused = classifyHost(host);
  if (!refused || (allowPrivate && !alwaysRefused.has(refused.kind))) return undefined;
  return refused;
}

/** The reason a destination is refused, as a sentence, or undefined when it may be reached. */
export function privateDestinationProblem(host: string, allowPrivate: boolean): string | undefined {
  const refused = destinationRefusal(host, allowPrivate);
  if (!refused) return undefined;
  const rule = alwaysRefused.has(refused.kind)
    ? 'the edge never calls those, whatever its settings'
    : 'the edge calls only public destinations';
  return `"${host}" is not allowed: ${refused.description}; ${rule}`;
}
