/**
 * The tunnel's role-projection frames (functions/tunnel/protocol.ts adds
 * them to its union). The edge sends the whole desired projection of one
 * cluster; the agent's leader turns it into RoleBindings and Roles. No Node
 * or Workers imports: the agent loads this module.
 */
import { z } from 'zod';

const name = z.string().min(1).max(253);

/** Who a projected binding names: the user by username, a group as `edgetower:<ws>:<group>`. */
export const projectedSubject = z.object({ kind: z.enum(['User', 'Group']), name });

/** The ClusterRoles a built-in edgetower role projects to (Kubernetes' default user-facing roles). */
export const projectedClusterRoles = ['admin', 'edit', 'view'] as const;
export type ProjectedClusterRole = (typeof projectedClusterRoles)[number];

/** One Kubernetes RBAC rule (rbac.authorization.k8s.io/v1 PolicyRule, without resourceNames). */
export const kubePolicyRule = z.object({
  apiGroups: z.array(z.string().max(253)).max(64),
  resources: z.array(z.string().max(253)).max(256),
  verbs: z.array(z.string().max(64)).min(1).max(16),
});

/** A namespace-level custom role, translated: the Role the agent creates where it is bound. */
export const projectedRole = z.object({
  /** The custom role's edgetower name (a DNS label); the Role is `edgetower-custom-<name>`. */
  name: z.string().min(1).max(63),
  rules: z.array(kubePolicyRule).max(1024),
  /** Resources of the edge role that mean nothing in a cluster (shown on the Role, never dropped silently). */
  edgeOnly: z.array(z.string().max(64)).max(256),
});

const roleRef = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('ClusterRole'), name: z.enum(projectedClusterRoles) }),
  z.object({ kind: z.literal('Role'), name: z.string().min(1).max(63) }),
]);

export const projectedBinding = z.object({ roleRef, subject: projectedSubject });

/**
 * Edge → agent: everything edgetower projects into this cluster, whole.
 * `workspaces` bindings cover every namespace the cluster labels
 * `kubesphere.io/workspace=<workspace>` (expanded by the agent, so namespaces
 * made outside the API are covered too); `namespaces` bindings cover one
 * namespace placed through the API, and only while the cluster's label
 * names the same workspace. `hash` is over the content (not the revision),
 * so the agent can tell a repeat from a change.
 */
export const roleProjectionFrame = z.object({
  type: z.literal('role-projection'),
  revision: z.number().int().nonnegative(),
  hash: z.string().min(1).max(128),
  workspaces: z
    .array(
      z.object({
        workspace: name,
        bindings: z.array(projectedBinding).max(100_000),
      }),
    )
    .max(100_000),
  namespaces: z
    .array(
      z.object({
        namespace: name,
        workspace: name,
        bindings: z.array(projectedBinding).max(100_000),
        roles: z.array(projectedRole).max(1024),
      }),
    )
    .max(100_000),
});

/** Agent (leader) → edge: how far the cluster matches a projection. */
export const roleProjectionStatusFrame = z.object({
  type: z.literal('role-projection-status'),
  hash: z.string().min(1).max(128),
  /** Every desired object exists as desired and nothing stale is left. */
  inSync: z.boolean(),
  /** Managed RoleBindings and Roles the cluster holds now. */
  objects: z.number().int().nonnegative(),
  /** Writes this pass made (creates, updates, deletes). */
  written: z.number().int().nonnegative(),
  /** Desired names held by objects edgetower does not manage: left alone, reported here. */
  conflicts: z.array(z.object({ namespace: name, name })).max(100),
  /** Writes the API server refused this pass (retried with backoff). */
  failures: z.number().int().nonnegative(),
});

export type ProjectedSubject = z.infer<typeof projectedSubject>;
export type KubePolicyRule = z.infer<typeof kubePolicyRule>;
export type ProjectedRole = z.infer<typeof projectedRole>;
export type ProjectedBinding = z.infer<typeof projectedBinding>;
export type RoleProjectionFrame = z.infer<typeof roleProjectionFrame>;
export type RoleProjectionStatusFrame = z.infer<typeof roleProjectionStatusFrame>;
/** The frame without its transport fields: what the edge computes from D1. */
export type RoleProjection = Omit<RoleProjectionFrame, 'type' | 'revision' | 'hash'>;
