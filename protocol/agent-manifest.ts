import { AGENT_VERSION } from './agent-version';

/**
 * The Kubernetes manifest that installs the edgetower agent in a member
 * cluster. Pure TypeScript (it runs in the Worker): objects built here,
 * rendered to YAML by a small emitter. agents/deploy/ holds the same objects
 * as a kustomize base (a test keeps the two identical).
 */

export interface AgentManifestOptions {
  clusterName: string;
  hubUrl: string;
  token: string;
  image?: string;
}

export const AGENT_NAMESPACE = 'edgetower-system';
export const AGENT_NAME = 'edgetower-agent';
export const DEFAULT_AGENT_IMAGE = `ghcr.io/edgetower/agent:${AGENT_VERSION}`;
const HEALTH_PORT = 8081;
/** The workspace-quota admission webhook (HTTPS), behind Service edgetower-agent-webhook:443. */
const WEBHOOK_PORT = 9443;
const WEBHOOK_NAME = `${AGENT_NAME}-webhook`;
/**
 * The group the edge impersonates (with the caller's name) to place
 * namespaces, and the ClusterRole bound to it: namespaces get, create,
 * patch, delete and nothing else. The edge decides which namespaces (grants,
 * reserved names, no takeover); this keeps the cluster's RBAC the backstop.
 */
export const NAMESPACE_PLACEMENT_GROUP = 'edgetower:namespace-placement';
const NAMESPACE_PLACEMENT_ROLE = 'edgetower-namespace-placement';
/**
 * The group the edge impersonates (with the caller's name) to read node
 * usage for the node list and node page, after checking at the edge that
 * the caller may list the cluster's nodes: nodes and metrics.k8s.io nodes,
 * get and list, nothing else.
 */
export const NODE_METRICS_GROUP = 'edgetower:node-metrics';
const NODE_METRICS_ROLE = 'edgetower-node-metrics';

type Manifest = Record<string, unknown>;

const labels = { 'app.kubernetes.io/name': AGENT_NAME, 'app.kubernetes.io/part-of': 'edgetower' };
const readWatch = ['get', 'list', 'watch'];

/** The manifest's objects, in apply order. */
export function agentManifestObjects(options: AgentManifestOptions): Manifest[] {
  const meta = (name: string, namespaced = true) => ({
    name,
    ...(namespaced ? { namespace: AGENT_NAMESPACE } : {}),
    labels,
  });
  return [
    { apiVersion: 'v1', kind: 'Namespace', metadata: meta(AGENT_NAMESPACE, false) },
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: meta(AGENT_NAME) },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: meta(AGENT_NAME, false),
      rules: [
        // What the informers watch (inventory) and metering reads.
        { apiGroups: [''], resources: ['nodes', 'namespaces', 'pods', 'events'], verbs: readWatch },
        {
          apiGroups: ['apps'],
          resources: ['deployments', 'statefulsets', 'daemonsets'],
          verbs: readWatch,
        },
        { apiGroups: ['batch'], resources: ['jobs', 'cronjobs'], verbs: readWatch },
        // What application delivery watches (status, drift): the objects it delivers. Secrets
        // and custom resources are read as each app's editor instead (agents/delivery/).
        {
          apiGroups: [''],
          resources: ['configmaps', 'services', 'serviceaccounts', 'persistentvolumeclaims'],
          verbs: readWatch,
        },
        { apiGroups: ['autoscaling'], resources: ['horizontalpodautoscalers'], verbs: readWatch },
        { apiGroups: ['networking.k8s.io'], resources: ['ingresses'], verbs: readWatch },
        { apiGroups: ['policy'], resources: ['poddisruptionbudgets'], verbs: readWatch },
        { apiGroups: ['metrics.k8s.io'], resources: ['pods', 'nodes'], verbs: ['get', 'list'] },
        // Projects created and deleted from the edge.
        { apiGroups: [''], resources: ['namespaces'], verbs: ['create', 'delete'] },
        // Proxied requests run as the edge-authenticated caller, so the cluster's own RBAC decides.
        { apiGroups: [''], resources: ['users', 'groups'], verbs: ['impersonate'] },
        // KubeEdge's cloudcore config and join token (edge node join command), by name only.
        {
          apiGroups: [''],
          resources: ['configmaps'],
          resourceNames: ['cloudcore'],
          verbs: ['get'],
        },
        { apiGroups: [''], resources: ['secrets'], resourceNames: ['tokensecret'], verbs: ['get'] },
        // Workspace quotas: the leader keeps its own webhook configuration, and only that one.
        {
          apiGroups: ['admissionregistration.k8s.io'],
          resources: ['validatingwebhookconfigurations'],
          verbs: ['create'],
        },
        {
          apiGroups: ['admissionregistration.k8s.io'],
          resources: ['validatingwebhookconfigurations'],
          resourceNames: ['edgetower-agent-quotas'],
          verbs: ['get', 'update', 'patch'],
        },
        // Role projection: the leader keeps RoleBindings (and Roles for custom roles) of
        // the edge's tenants. Binding the default ClusterRoles needs `bind` on them, by
        // name; projected Roles carry rules the agent does not hold itself (`escalate`)
        // and are bound by name patterns RBAC cannot express (`bind` on roles).
        {
          apiGroups: ['rbac.authorization.k8s.io'],
          resources: ['rolebindings', 'roles'],
          verbs: ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'],
        },
        {
          apiGroups: ['rbac.authorization.k8s.io'],
          resources: ['clusterroles'],
          resourceNames: ['admin', 'edit', 'view'],
          verbs: ['bind'],
        },
        {
          apiGroups: ['rbac.authorization.k8s.io'],
          resources: ['roles'],
          verbs: ['bind', 'escalate'],
        },
      ],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: meta(AGENT_NAME, false),
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: AGENT_NAME },
      subjects: [{ kind: 'ServiceAccount', name: AGENT_NAME, namespace: AGENT_NAMESPACE }],
    },
    {
      // Namespace placement from the edge, as the caller with this one group.
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: meta(NAMESPACE_PLACEMENT_ROLE, false),
      rules: [
        { apiGroups: [''], resources: ['namespaces'], verbs: ['get', 'create', 'patch', 'delete'] },
      ],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: meta(NAMESPACE_PLACEMENT_ROLE, false),
      roleRef: {
        apiGroup: 'rbac.authorization.k8s.io',
        kind: 'ClusterRole',
        name: NAMESPACE_PLACEMENT_ROLE,
      },
      subjects: [
        { apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: NAMESPACE_PLACEMENT_GROUP },
      ],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: meta(NODE_METRICS_ROLE, false),
      rules: [
        { apiGroups: [''], resources: ['nodes'], verbs: ['get', 'list'] },
        { apiGroups: ['metrics.k8s.io'], resources: ['nodes'], verbs: ['get', 'list'] },
      ],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: meta(NODE_METRICS_ROLE, false),
      roleRef: {
        apiGroup: 'rbac.authorization.k8s.io',
        kind: 'ClusterRole',
        name: NODE_METRICS_ROLE,
      },
      subjects: [
        { apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: NODE_METRICS_GROUP },
      ],
    },
    {
      // Leader election: leases in the agent's own namespace only.
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: meta(`${AGENT_NAME}-leader-election`),
      rules: [
        {
          apiGroups: ['coordination.k8s.io'],
          resources: ['leases'],
          verbs: ['get', 'create', 'update'],
        },
      ],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: meta(`${AGENT_NAME}-leader-election`),
      roleRef: {
        apiGroup: 'rbac.authorization.k8s.io',
        kind: 'Role',
        name: `${AGENT_NAME}-leader-election`,
      },
      subjects: [{ kind: 'ServiceAccount', name: AGENT_NAME, namespace: AGENT_NAMESPACE }],
    },
    {
      // Alerting rules: the leader leaves pending/firing state for the next one in one
      // ConfigMap of its own namespace (RBAC cannot narrow `create` by name).
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: meta(`${AGENT_NAME}-rule-state`),
      rules: [
        { apiGroups: [''], resources: ['configmaps'], verbs: ['create'] },
        {
          apiGroups: [''],
          resources: ['configmaps'],
          resourceNames: ['edgetower-rule-state'],
          verbs: ['get', 'update'],
        },
      ],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: meta(`${AGENT_NAME}-rule-state`),
      roleRef: {
        apiGroup: 'rbac.authorization.k8s.io',
        kind: 'Role',
        name: `${AGENT_NAME}-rule-state`,
      },
      subjects: [{ kind: 'ServiceAccount', name: AGENT_NAME, namespace: AGENT_NAMESPACE }],
    },
    {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: meta(`${AGENT_NAME}-token`),
      type: 'Opaque',
      stringData: { hub: options.hubUrl, token: options.token, cluster: options.clusterName },
    },
    {
      // The webhook's CA, shared by the replicas: made once, then only read (by name).
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: meta(WEBHOOK_NAME),
      rules: [
        { apiGroups: [''], resources: ['secrets'], verbs: ['create'] },
        {
          apiGroups: [''],
          resources: ['secrets'],
          resourceNames: ['edgetower-agent-webhook-ca'],
          verbs: ['get'],
        },
      ],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: meta(WEBHOOK_NAME),
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: WEBHOOK_NAME },
      subjects: [{ kind: 'ServiceAccount', name: AGENT_NAME, namespace: AGENT_NAMESPACE }],
    },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: meta(WEBHOOK_NAME),
      spec: {
        selector: { 'app.kubernetes.io/name': AGENT_NAME },
        ports: [{ name: 'webhook', port: 443, targetPort: 'webhook', protocol: 'TCP' }],
      },
    },
    deployment(options.image ?? DEFAULT_AGENT_IMAGE),
  ];
}

function secretEnv(name: string, key: string) {
  return { name, valueFrom: { secretKeyRef: { name: `${AGENT_NAME}-token`, key } } };
}

function deployment(image: string): Manifest {
  const probe = (path: string, failureThreshold: number) => ({
    httpGet: { path, port: 'health' },
    periodSeconds: 10,
    timeoutSeconds: 3,
    failureThreshold,
  });
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: AGENT_NAME, namespace: AGENT_NAMESPACE, labels },
    spec: {
      // Two replicas: both carry proxied requests, the Lease picks who pushes inventory.
      replicas: 2,
      selector: { matchLabels: { 'app.kubernetes.io/name': AGENT_NAME } },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 1 } },
      template: {
        metadata: { labels },
        spec: {
          serviceAccountName: AGENT_NAME,
          terminationGracePeriodSeconds: 30,
          securityContext: {
            runAsNonRoot: true,
            runAsUser: 65532,
            runAsGroup: 65532,
            fsGroup: 65532,
            seccompProfile: { type: 'RuntimeDefault' },
          },
          affinity: {
            podAntiAffinity: {
              preferredDuringSchedulingIgnoredDuringExecution: [
                {
                  weight: 100,
                  podAffinityTerm: {
                    topologyKey: 'kubernetes.io/hostname',
                    labelSelector: { matchLabels: { 'app.kubernetes.io/name': AGENT_NAME } },
                  },
                },
              ],
            },
          },
          containers: [
            {
              name: 'agent',
              image,
              imagePullPolicy: 'IfNotPresent',
              env: [
                secretEnv('EDGETOWER_HUB', 'hub'),
                secretEnv('EDGETOWER_TOKEN', 'token'),
                { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
                {
                  name: 'EDGETOWER_NAMESPACE',
                  valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } },
                },
                { name: 'EDGETOWER_DATA_DIR', value: '/var/lib/edgetower' },
                { name: 'EDGETOWER_HEALTH_LISTEN', value: `0.0.0.0:${HEALTH_PORT}` },
                { name: 'EDGETOWER_WEBHOOK_LISTEN', value: `0.0.0.0:${WEBHOOK_PORT}` },
              ],
              ports: [
                { name: 'health', containerPort: HEALTH_PORT, protocol: 'TCP' },
                { name: 'webhook', containerPort: WEBHOOK_PORT, protocol: 'TCP' },
              ],
              // Sized from the benchmark: <= 64 MiB at 1,000 pods, <= 256 MiB at 150,000 pods.
              resources: {
                requests: { cpu: '50m', memory: '96Mi' },
                limits: { cpu: '1', memory: '384Mi' },
              },
              livenessProbe: { ...probe('/healthz', 3), initialDelaySeconds: 10 },
              readinessProbe: probe('/readyz', 1),
              securityContext: {
                allowPrivilegeEscalation: false,
                readOnlyRootFilesystem: true,
                capabilities: { drop: ['ALL'] },
              },
              volumeMounts: [
                { name: 'data', mountPath: '/var/lib/edgetower' },
                { name: 'tmp', mountPath: '/tmp' },
              ],
            },
          ],
          volumes: [
            { name: 'data', emptyDir: {} },
            { name: 'tmp', emptyDir: { medium: 'Memory', sizeLimit: '16Mi' } },
          ],
        },
      },
    },
  };
}

// ---- YAML ---------------------------------------------------------------

const RESERVED = /^(true|false|yes|no|on|off|y|n|null|~)$/i;

function scalar(value: unknown): string {
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (value === null || value === undefined) return 'null';
  const text = String(value);
  // Plain only when unambiguous; otherwise a JSON string, which is valid YAML
  // and escapes anything a token or URL could carry.
  const plain = /^[A-Za-z/][A-Za-z0-9._/-]*$/.test(text) && !RESERVED.test(text);
  return plain ? text : JSON.stringify(text);
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function emit(value: unknown, indent: string): string[] {
  if (Array.isArray(value)) {
    if (value.length === 0) return ['[]'];
    return value.flatMap((item) => {
      const lines =
        isRecord(item) || Array.isArray(item) ? emit(item, `${indent}  `) : [scalar(item)];
      if (
        (isRecord(item) && Object.keys(item).length > 0) ||
        (Array.isArray(item) && item.length > 0)
      ) {
        const [first = '', ...rest] = lines;
        return [`${indent}- ${first.trimStart()}`, ...rest];
      }
      return [`${indent}- ${lines[0]}`];
    });
  }
  if (isRecord(value)) {
    const entries = Object.entries(value);
    if (entries.length === 0) return ['{}'];
    return entries.flatMap(([key, child]) => {
      const k = `${indent}${scalar(key)}:`;
      const nested =
        (isRecord(child) && Object.keys(child).length > 0) ||
        (Array.isArray(child) && child.length > 0);
      if (!nested)
        return [`${k} ${isRecord(child) ? '{}' : Array.isArray(child) ? '[]' : scalar(child)}`];
      return [k, ...emit(child, `${indent}  `)];
    });
  }
  return [`${indent}${scalar(value)}`];
}

/** Renders objects as one multi-document YAML string. */
export function toYaml(objects: Manifest[]): string {
  return `${objects.map((obj) => emit(obj, '').join('\n')).join('\n---\n')}\n`;
}

/** The full agent manifest (shown once, with the join token inside the Secret). */
export function renderAgentManifest(options: AgentManifestOptions): string {
  const header = `# edgetower agent for cluster ${JSON.stringify(options.clusterName)}.\n# Apply with: kubectl apply -f <this file>. It contains the cluster's join token: keep it secret.\n`;
  return header + toYaml(agentManifestObjects(options));
}
