import type { KubeClient } from '../kube';
import { parseQuantity } from '../quantity';
import type { PodUsageSample, UsageSource } from './usage-source';

interface PodMetricsPage {
  metadata?: { continue?: string };
  items?: {
    metadata?: { name?: string; namespace?: string };
    containers?: { usage?: { cpu?: string; memory?: string } }[];
  }[];
}

const quantity = (text: string | undefined): number => {
  const value = text ? parseQuantity(text) : 0;
  return Number.isFinite(value) && value > 0 ? value : 0;
};

/**
 * Pod usage from metrics.k8s.io (metrics-server), paged with limit/continue
 * so a 150,000-pod cluster never arrives as one document.
 */
export function metricsApiUsage(client: KubeClient, pageSize = 500): UsageSource {
  return {
    name: 'metrics.k8s.io',
    async sample(signal) {
      const out = new Map<string, PodUsageSample>();
      let cont: string | undefined;
      do {
        const page = (await client.getJson(
          '/apis/metrics.k8s.io/v1beta1/pods',
          { limit: pageSize, continue: cont },
          signal,
        )) as PodMetricsPage;
        for (const item of page.items ?? []) {
          const { name, namespace } = item.metadata ?? {};
          if (!name || !namespace) continue;
          let cpuCores = 0;
          let memoryBytes = 0;
          for (const container of item.containers ?? []) {
            cpuCores += quantity(container.usage?.cpu);
            memoryBytes += quantity(container.usage?.memory);
          }
          out.set(`${namespace}/${name}`, { cpuCores, memoryBytes });
        }
        cont = page.metadata?.continue || undefined;
      } while (cont);
      return out;
    },
  };
}
