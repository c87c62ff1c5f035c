/**
 * The built-in alerting rules every cluster evaluates unless its admins turn
 * one off (issue #15). Expressions follow kubernetes-mixin / kube-prometheus
 * (prometheus-operator/kube-prometheus, kubernetes-monitoring/kubernetes-mixin)
 * without their `job=` matchers, so they work whatever a cluster calls its
 * kube-state-metrics, node-exporter, kubelet and apiserver scrape jobs.
 * `$threshold` in an expression is replaced by the rule's threshold (the
 * documented one, or the cluster's setting).
 */
import type { RuleSeverity } from '../../../protocol/rules';

export interface BuiltinRule {
  /** The alert's name, and the key of a cluster's settings for it. */
  name: string;
  /** What it watches, in one line (the docs table and the API). */
  title: string;
  /** PromQL; `$threshold` stands for the threshold. */
  expr: string;
  /** The documented threshold and what it measures; absent when the rule has none. */
  threshold?: { value: number; unit: string; min: number; max: number };
  forSeconds: number;
  severity: RuleSeverity;
  summary: string;
  description: string;
  runbook: string;
  /** Exporters whose metrics it needs (the docs say which; the agent names missing metrics). */
  needs: string;
}

const runbook = (name: string) =>
  `https://runbooks.prometheus-operator.dev/runbooks/${name.startsWith('Node') ? 'node' : 'kubernetes'}/${name.toLowerCase()}`;

const rule = (r: Omit<BuiltinRule, 'runbook'> & { runbookName?: string }): BuiltinRule => {
  const { runbookName, ...rest } = r;
  return { ...rest, runbook: runbook(runbookName ?? r.name) };
};

const nodeCondition = (condition: string, name: string, what: string): BuiltinRule =>
  rule({
    name,
    title: `Node reports ${condition}`,
    expr: `kube_node_status_condition{condition="${condition}",status="true"} == 1`,
    forSeconds: 600,
    severity: 'warning',
    summary: `Node {{ $labels.node }} has ${what}.`,
    description: `{{ $labels.node }} has reported ${condition} for more than 10 minutes.`,
    needs: 'kube-state-metrics',
    runbookName: 'KubeNodePressure',
  });

export const builtinRules: readonly BuiltinRule[] = [
  rule({
    name: 'KubeNodeNotReady',
    title: 'Node not ready',
    expr: 'kube_node_status_condition{condition="Ready",status="true"} == 0',
    forSeconds: 900,
    severity: 'warning',
    summary: 'Node is not ready.',
    description: '{{ $labels.node }} has been unready for more than 15 minutes.',
    needs: 'kube-state-metrics',
  }),
  nodeCondition('MemoryPressure', 'KubeNodeMemoryPressure', 'memory pressure'),
  nodeCondition('DiskPressure', 'KubeNodeDiskPressure', 'disk pressure'),
  nodeCondition('PIDPressure', 'KubeNodePIDPressure', 'PID pressure'),
  rule({
    name: 'NodeFilesystemAlmostOutOfSpace',
    title: 'Node filesystem above 85% used',
    expr: '(100 - node_filesystem_avail_bytes{fstype!=""} / node_filesystem_size_bytes{fstype!=""} * 100 > $threshold and node_filesystem_readonly{fstype!=""} == 0)',
    threshold: { value: 85, unit: 'percent used', min: 1, max: 100 },
    forSeconds: 1800,
    severity: 'warning',
    summary: 'Filesystem has less than 15% space left.',
    description:
      'Filesystem on {{ $labels.device }} at {{ $labels.instance }} is {{ printf "%.2f" $value }}% used.',
    needs: 'node-exporter',
  }),
  rule({
    name: 'NodeFilesystemOutOfSpace',
    title: 'Node filesystem above 95% used',
    expr: '(100 - node_filesystem_avail_bytes{fstype!=""} / node_filesystem_size_bytes{fstype!=""} * 100 > $threshold and node_filesystem_readonly{fstype!=""} == 0)',
    threshold: { value: 95, unit: 'percent used', min: 1, max: 100 },
    forSeconds: 1800,
    severity: 'critical',
    summary: 'Filesystem has less than 5% space left.',
    description:
      'Filesystem on {{ $labels.device }} at {{ $labels.instance }} is {{ printf "%.2f" $value }}% used.',
    needs: 'node-exporter',
    runbookName: 'NodeFilesystemAlmostOutOfSpace',
  }),
  rule({
    name: 'KubePodCrashLooping',
    title: 'Pod crash-looping',
    expr: 'max_over_time(kube_pod_container_status_waiting_reason{reason="CrashLoopBackOff"}[5m]) >= 1',
    forSeconds: 900,
    severity: 'warning',
    summary: 'Pod is crash looping.',
    description:
      'Pod {{ $labels.namespace }}/{{ $labels.pod }} ({{ $labels.container }}) is in waiting state (reason: "CrashLoopBackOff").',
    needs: 'kube-state-metrics',
  }),
  rule({
    name: 'KubePodNotReady',
    title: 'Pod not ready for 15 minutes',
    expr: 'sum by (namespace, pod) (max by (namespace, pod) (kube_pod_status_phase{phase=~"Pending|Unknown|Failed"}) * on (namespace, pod) group_left (owner_kind) topk by (namespace, pod) (1, max by (namespace, pod, owner_kind) (kube_pod_owner{owner_kind!="Job"}))) > 0',
    forSeconds: 900,
    severity: 'warning',
    summary: 'Pod has been in a non-ready state for more than 15 minutes.',
    description:
      'Pod {{ $labels.namespace }}/{{ $labels.pod }} has been in a non-ready state for longer than 15 minutes.',
    needs: 'kube-state-metrics',
  }),
  rule({
    name: 'KubeDeploymentReplicasMismatch',
    title: 'Deployment replicas mismatch',
    expr: '(kube_deployment_spec_replicas > kube_deployment_status_replicas_available) and (changes(kube_deployment_status_replicas_updated[10m]) == 0)',
    forSeconds: 900,
    severity: 'warning',
    summary: 'Deployment has not matched the expected number of replicas.',
    description:
      'Deployment {{ $labels.namespace }}/{{ $labels.deployment }} has not matched the expected number of replicas for longer than 15 minutes.',
    needs: 'kube-state-metrics',
  }),
  rule({
    name: 'KubeStatefulSetReplicasMismatch',
    title: 'StatefulSet replicas mismatch',
    expr: '(kube_statefulset_status_replicas_ready != kube_statefulset_status_replicas) and (changes(kube_statefulset_status_replicas_updated[10m]) == 0)',
    forSeconds: 900,
    severity: 'warning',
    summary: 'StatefulSet has not matched the expected number of replicas.',
    description:
      'StatefulSet {{ $labels.namespace }}/{{ $labels.statefulset }} has not matched the expected number of replicas for longer than 15 minutes.',
    needs: 'kube-state-metrics',
  }),
  rule({
    name: 'KubeDaemonSetNotScheduled',
    title: 'DaemonSet pods not scheduled',
    expr: 'kube_daemonset_status_desired_number_scheduled - kube_daemonset_status_current_number_scheduled > 0',
    forSeconds: 600,
    severity: 'warning',
    summary: 'DaemonSet pods are not scheduled.',
    description:
      '{{ $value }} Pods of DaemonSet {{ $labels.namespace }}/{{ $labels.daemonset }} are not scheduled.',
    needs: 'kube-state-metrics',
  }),
  rule({
    name: 'KubeJobFailed',
    title: 'Job failed',
    expr: 'kube_job_failed > 0',
    forSeconds: 900,
    severity: 'warning',
    summary: 'Job failed to complete.',
    description:
      'Job {{ $labels.namespace }}/{{ $labels.job_name }} failed to complete. Removing the failed job after investigation should clear this alert.',
    needs: 'kube-state-metrics',
  }),
  rule({
    name: 'KubePersistentVolumeFillingUp',
    title: 'PersistentVolumeClaim above 85% used',
    expr: '100 * (1 - kubelet_volume_stats_available_bytes / kubelet_volume_stats_capacity_bytes) > $threshold and kubelet_volume_stats_used_bytes > 0',
    threshold: { value: 85, unit: 'percent used', min: 1, max: 100 },
    forSeconds: 300,
    severity: 'warning',
    summary: 'PersistentVolume is filling up.',
    description:
      'The PersistentVolume claimed by {{ $labels.persistentvolumeclaim }} in namespace {{ $labels.namespace }} is {{ printf "%.2f" $value }}% used.',
    needs: 'kubelet',
  }),
  rule({
    name: 'KubeContainerOOMKilled',
    title: 'Container OOM-killed',
    expr: '(kube_pod_container_status_restarts_total - kube_pod_container_status_restarts_total offset 10m >= 1) and ignoring (reason) min_over_time(kube_pod_container_status_last_terminated_reason{reason="OOMKilled"}[10m]) == 1',
    forSeconds: 0,
    severity: 'warning',
    summary: 'Container was OOM-killed.',
    description:
      'Container {{ $labels.container }} of pod {{ $labels.namespace }}/{{ $labels.pod }} was killed for running out of memory in the last 10 minutes.',
    needs: 'kube-state-metrics',
    runbookName: 'KubePodCrashLooping',
  }),
  rule({
    name: 'CPUThrottlingHigh',
    title: 'CPU throttling high',
    expr: 'sum by (container, pod, namespace) (increase(container_cpu_cfs_throttled_periods_total{container!=""}[5m])) / sum by (container, pod, namespace) (increase(container_cpu_cfs_periods_total[5m])) * 100 > $threshold',
    threshold: { value: 25, unit: 'percent of periods throttled', min: 1, max: 100 },
    forSeconds: 900,
    severity: 'info',
    summary: 'Processes experience elevated CPU throttling.',
    description:
      '{{ printf "%.0f" $value }}% throttling of CPU in namespace {{ $labels.namespace }} for container {{ $labels.container }} in pod {{ $labels.pod }}.',
    needs: 'kubelet (cAdvisor)',
  }),
  rule({
    name: 'KubeAPIErrorsHigh',
    title: 'API server error rate',
    expr: 'sum(rate(apiserver_request_total{code=~"5.."}[5m])) / sum(rate(apiserver_request_total[5m])) * 100 > $threshold',
    threshold: { value: 3, unit: 'percent of requests answered 5xx', min: 0.1, max: 100 },
    forSeconds: 600,
    severity: 'critical',
    summary: 'Kubernetes API server errors are high.',
    description: '{{ printf "%.2f" $value }}% of API server requests fail with a 5xx.',
    needs: 'apiserver',
    runbookName: 'KubeAPIErrorBudgetBurn',
  }),
  rule({
    name: 'KubeClientCertificateExpiration',
    title: 'Certificate expiring within 7 days',
    expr: 'apiserver_client_certificate_expiration_seconds_count > 0 and on (job) histogram_quantile(0.01, sum by (job, le) (rate(apiserver_client_certificate_expiration_seconds_bucket[5m]))) < $threshold',
    threshold: { value: 604_800, unit: 'seconds left', min: 3_600, max: 31_536_000 },
    forSeconds: 300,
    severity: 'warning',
    summary: 'Client certificate is about to expire.',
    description:
      'A client certificate used to authenticate to the Kubernetes API server expires in less than 7 days.',
    needs: 'apiserver',
  }),
];

/** Rules edgetower evaluates at the edge itself (functions/alerting/): listed, not sent to agents. */
export interface EdgeRule {
  name: string;
  title: string;
  severity: RuleSeverity;
  description: string;
  /** Where its knobs are (the edge's settings, not the built-in settings API). */
  configuredBy: string;
}

export const edgeRules: readonly EdgeRule[] = [
  {
    name: 'NodeNotReady',
    title: 'Node not ready (from the inventory)',
    severity: 'warning',
    description: 'A node the agent reports has had Ready≠True for longer than the grace period.',
    configuredBy: 'NODE_NOT_READY_ALERT_SECONDS',
  },
  {
    name: 'EdgeNodeOffline',
    title: 'Edge node offline',
    severity: 'warning',
    description: 'An edge (KubeEdge) node has been offline for longer than the grace period.',
    configuredBy: 'EDGE_NODE_OFFLINE_ALERT_SECONDS',
  },
  {
    name: 'ClusterDisconnected',
    title: 'Cluster disconnected',
    severity: 'critical',
    description: 'No agent of the cluster has been connected for longer than the threshold.',
    configuredBy: 'CLUSTER_DISCONNECT_ALERT_SECONDS',
  },
  {
    name: 'AgentVersionSkew',
    title: 'Agent version skew',
    severity: 'warning',
    description: "The cluster's agents run different releases, or one far from the edge's.",
    configuredBy: '(none)',
  },
];

const byName = new Map(builtinRules.map((r) => [r.name, r]));
const edgeByName = new Map(edgeRules.map((r) => [r.name, r]));

export const builtinRule = (name: string): BuiltinRule | undefined => byName.get(name);
export const edgeRule = (name: string): EdgeRule | undefined => edgeByName.get(name);

/** A rule's expression with its threshold in place. */
export function builtinExpr(rule: BuiltinRule, threshold: number | undefined): string {
  const value = threshold ?? rule.threshold?.value;
  return value === undefined ? rule.expr : rule.expr.replaceAll('$threshold', String(value));
}
