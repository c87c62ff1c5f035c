import { z } from '@hono/zod-openapi';
import { newName } from '../iam/names';
import { listOf } from '../iam/pagination';

const labelKey = z
  .string()
  .min(1)
  .max(317)
  .regex(
    /^([a-z0-9]([-a-z0-9.]*[a-z0-9])?\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/,
    'a Kubernetes label key',
  );
const labelValue = z
  .string()
  .max(63)
  .regex(/^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$/, 'a Kubernetes label value');

export const clusterNameParam = z.object({
  c: z
    .string()
    .max(63)
    .openapi({ param: { name: 'c', in: 'path' }, example: 'edge-eu-1' }),
});

export const nodeCounts = z.object({ total: z.number(), ready: z.number(), edge: z.number() });

export const clusterView = z
  .object({
    name: z.string(),
    description: z.string().nullable(),
    labels: z.record(z.string(), z.string()),
    status: z.enum(['pending', 'connected', 'disconnected']),
    agents: z.number().openapi({ description: 'Agents connected now.' }),
    lastSeen: z.string().nullable().openapi({ description: 'Last heartbeat of any agent.' }),
    kubernetesVersion: z.string().nullable(),
    platform: z.string().nullable(),
    nodes: nodeCounts,
    namespaces: z.number(),
    connectedAgents: z.array(
      z.object({
        agentId: z.string(),
        agentVersion: z.string(),
        connectedAt: z.string(),
        lastSeen: z.string(),
      }),
    ),
    degraded: z.array(z.object({ resource: z.string(), reason: z.string() })).openapi({
      description:
        'What the connected agents cannot read (resource not served, forbidden by RBAC, API server unreachable); the rest of the inventory still flows.',
    }),
    joinTokenRotatedAt: z.string().nullable(),
    createdAt: z.string(),
  })
  .openapi('Cluster');

/** The reduced view a tenant gets of a cluster granted to their workspace. */
export const clusterSummary = z
  .object({
    name: z.string(),
    status: z.enum(['pending', 'connected', 'disconnected']),
    kubernetesVersion: z.string().nullable(),
    nodes: nodeCounts,
  })
  .openapi('ClusterSummary', {
    description:
      'A cluster as a tenant sees it (no agents, labels or join-token data): granted to one of their workspaces, or holding one of their namespaces.',
  });

/** Cluster-wide readers get the full view, tenants the summary. */
export const clusterAsSeen = z.union([clusterView, clusterSummary]);

export const createClusterBody = z
  .strictObject({
    name: newName,
    description: z.string().max(1024).optional(),
    labels: z.record(labelKey, labelValue).optional(),
  })
  .openapi('CreateCluster');

export const registration = z
  .object({
    cluster: clusterView,
    joinToken: z.string().openapi({ description: 'Shown once; agents send it as a bearer token.' }),
    manifest: z.string().openapi({ description: 'Kubernetes YAML that installs the agent.' }),
  })
  .openapi('ClusterRegistration');

export const clusterList = listOf(clusterAsSeen);
