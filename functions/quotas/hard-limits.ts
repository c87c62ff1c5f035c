import {
  canonicalAmount,
  isQuotaResource,
  type ResourceAmounts,
} from '../../protocol/quota-resources';

/**
 * A stored quota (quantities as written) in canonical units. Stored quotas
 * were validated on PUT; anything unparsable here is skipped, not thrown.
 */
export function canonicalHard(hard: Record<string, string>): ResourceAmounts {
  const out: ResourceAmounts = {};
  for (const [name, text] of Object.entries(hard)) {
    if (!isQuotaResource(name)) continue;
    const amount = canonicalAmount(name, text);
    if (amount.ok) out[name] = amount.value;
  }
  return out;
}
