/** What one pod used, as one sample of a usage source sees it. */
export interface PodUsageSample {
  /** Cores in use (metrics.k8s.io reports a recent rate). */
  cpuCores?: number;
  /** container_cpu_usage_seconds_total summed over the pod's containers (a counter). */
  cpuSecondsTotal?: number;
  memoryBytes?: number;
  /** Network counters of the pod (Prometheus only). */
  netReceivedTotal?: number;
  netTransmittedTotal?: number;
}

/** Where usage comes from: metrics.k8s.io, or Prometheus when the agent has one. */
export interface UsageSource {
  readonly name: string;
  /** Usage per pod, keyed "namespace/name"; pods it knows nothing about are absent. */
  sample(signal?: AbortSignal): Promise<Map<string, PodUsageSample>>;
}
