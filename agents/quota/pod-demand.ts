import type { PodDemand, QuotaResource } from '../../protocol/quota-resources';
import { cpuMillicores, memoryBytes } from '../quantity';

type Json = Record<string, unknown>;
const obj = (value: unknown): Json => (value && typeof value === 'object' ? (value as Json) : {});
const arr = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);
const str = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

/** What the quota keeps per pod: where it is, whether it still counts, what it asks for. */
export interface QuotaPod extends PodDemand {
  namespace: string;
  name: string;
  phase: string;
}

function totals(containers: unknown[], field: 'requests' | 'limits') {
  let cpu = 0;
  let memory = 0;
  let maxCpu = 0;
  let maxMemory = 0;
  for (const container of containers) {
    const list = obj(obj(obj(container).resources)[field]);
    const c = cpuMillicores(str(list.cpu));
    const m = memoryBytes(str(list.memory));
    cpu += c;
    memory += m;
    maxCpu = Math.max(maxCpu, c);
    maxMemory = Math.max(maxMemory, m);
  }
  return { cpu, memory, maxCpu, maxMemory };
}

/**
 * A pod's effective requests and limits as the scheduler and ResourceQuota
 * count them: the larger of the app containers' sum and the largest init
 * container, plus the pod overhead. A container with a limit but no request
 * requests its limit (the API server defaults it so).
 */
export function podDemand(spec: unknown): PodDemand {
  const pod = obj(spec);
  const defaulted = (container: unknown) => {
    const resources = obj(obj(container).resources);
    const limits = obj(resources.limits);
    const requests = { ...limits, ...obj(resources.requests) };
    return { resources: { requests, limits } };
  };
  const containers = arr(pod.containers).map(defaulted);
  const inits = arr(pod.initContainers).map(defaulted);
  const overhead = obj(pod.overhead);
  const overheadCpu = cpuMillicores(str(overhead.cpu));
  const overheadMemory = memoryBytes(str(overhead.memory));
  const req = totals(containers, 'requests');
  const reqInit = totals(inits, 'requests');
  const lim = totals(containers, 'limits');
  const limInit = totals(inits, 'limits');
  return {
    cpuRequestMillis: Math.max(req.cpu, reqInit.maxCpu) + overheadCpu,
    memoryRequestBytes: Math.max(req.memory, reqInit.maxMemory) + overheadMemory,
    cpuLimitMillis: Math.max(lim.cpu, limInit.maxCpu) + overheadCpu,
    memoryLimitBytes: Math.max(lim.memory, limInit.maxMemory) + overheadMemory,
  };
}

/** The informer's projection: everything but this is dropped as soon as a page is parsed. */
export function projectQuotaPod(raw: unknown): QuotaPod | undefined {
  const metadata = obj(obj(raw).metadata);
  const namespace = str(metadata.namespace);
  const name = str(metadata.name);
  if (!namespace || !name) return undefined;
  return {
    namespace,
    name,
    phase: str(obj(obj(raw).status).phase) ?? 'Pending',
    ...podDemand(obj(raw).spec),
  };
}

/**
 * Per quota resource, the containers that leave it unset (a limit counts as
 * the request when the request is missing, as the API server defaults it).
 * Like Kubernetes' ResourceQuota, a capped resource must be set by every
 * container, or the cap could be walked around with unbounded pods.
 */
export function unspecifiedResources(spec: unknown): Partial<Record<QuotaResource, string[]>> {
  const out: Partial<Record<QuotaResource, string[]>> = {};
  const note = (resource: QuotaResource, container: string) => {
    const list = out[resource] ?? [];
    list.push(container);
    out[resource] = list;
  };
  const pod = obj(spec);
  for (const container of [...arr(pod.initContainers), ...arr(pod.containers)]) {
    const name = str(obj(container).name) ?? '(unnamed)';
    const resources = obj(obj(container).resources);
    const limits = obj(resources.limits);
    const requests = { ...limits, ...obj(resources.requests) };
    for (const kind of ['cpu', 'memory'] as const) {
      if (requests[kind] === undefined) {
        note(kind, name);
        note(`requests.${kind}`, name);
      }
      if (limits[kind] === undefined) note(`limits.${kind}`, name);
    }
  }
  return out;
}
