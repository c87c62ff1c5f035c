/**
 * The resources a workspace quota may cap, their canonical units and how a
 * pod counts against them. Shared by the edge and the agent: no Node or
 * Workers imports.
 */
import { parseQuantity, toMillicores } from './quantity';

/**
 * As in a Kubernetes ResourceQuota: `cpu`/`memory` are the same as
 * `requests.cpu`/`requests.memory`; `pods` counts pods not yet finished.
 */
export const quotaResources = [
  'pods',
  'cpu',
  'memory',
  'requests.cpu',
  'requests.memory',
  'limits.cpu',
  'limits.memory',
] as const;
export type QuotaResource = (typeof quotaResources)[number];

const known = new Set<string>(quotaResources);
export const isQuotaResource = (name: string): name is QuotaResource => known.has(name);

/** Amounts in canonical units: cpu in millicores, memory in bytes, pods as a count. */
export type ResourceAmounts = Partial<Record<QuotaResource, number>>;

type Unit = 'millicores' | 'bytes' | 'count';
const unitOf = (resource: QuotaResource): Unit =>
  resource === 'pods' ? 'count' : resource.endsWith('cpu') ? 'millicores' : 'bytes';

/**
 * A quota value in canonical units, or a reason it is not one: not a
 * quantity, negative, or a fractional pod count.
 */
export function canonicalAmount(
  resource: QuotaResource,
  text: string,
): { ok: true; value: number } | { ok: false; reason: string } {
  const parsed = parseQuantity(text);
  if (parsed === undefined || !Number.isFinite(parsed))
    return { ok: false, reason: `"${text}" is not a Kubernetes quantity (e.g. 500m, 2, 1.5Gi)` };
  if (parsed < 0) return { ok: false, reason: 'must not be negative' };
  switch (unitOf(resource)) {
    case 'count':
      if (!Number.isInteger(parsed)) return { ok: false, reason: 'must be a whole number' };
      return { ok: true, value: parsed };
    case 'millicores':
      return { ok: true, value: toMillicores(parsed) };
    case 'bytes':
      return { ok: true, value: Math.ceil(parsed) };
  }
}

/** Canonical amount as a quantity people read: `1500m`, `2`, `512Mi`, `3`. */
export function formatAmount(resource: QuotaResource, value: number): string {
  switch (unitOf(resource)) {
    case 'count':
      return String(value);
    case 'millicores':
      return value % 1000 === 0 ? String(value / 1000) : `${value}m`;
    case 'bytes':
      for (const [suffix, size] of [
        ['Ti', 2 ** 40],
        ['Gi', 2 ** 30],
        ['Mi', 2 ** 20],
        ['Ki', 2 ** 10],
      ] as const)
        if (value >= size && value % size === 0) return `${value / size}${suffix}`;
      return String(value);
  }
}

/** What one pod asks for: the effective requests and limits of its containers. */
export interface PodDemand {
  cpuRequestMillis: number;
  memoryRequestBytes: number;
  cpuLimitMillis: number;
  memoryLimitBytes: number;
}

/** How much of each quota resource one unfinished pod uses. */
export function podAmounts(pod: PodDemand): Record<QuotaResource, number> {
  return {
    pods: 1,
    cpu: pod.cpuRequestMillis,
    'requests.cpu': pod.cpuRequestMillis,
    memory: pod.memoryRequestBytes,
    'requests.memory': pod.memoryRequestBytes,
    'limits.cpu': pod.cpuLimitMillis,
    'limits.memory': pod.memoryLimitBytes,
  };
}

/** Element-wise sum into `into` (mutates and returns it). */
export function addAmounts(into: ResourceAmounts, more: ResourceAmounts): ResourceAmounts {
  for (const resource of quotaResources) {
    const value = more[resource];
    if (value !== undefined) into[resource] = (into[resource] ?? 0) + value;
  }
  return into;
}

/** A pod counts against a quota until it has finished. */
export const isTerminalPhase = (phase: string) => phase === 'Succeeded' || phase === 'Failed';
