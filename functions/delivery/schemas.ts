import { z } from '@hono/zod-openapi';
import { dnsLabel } from '../iam/names';

/** Cluster labels an app (or an override) selects clusters by. */
const clusterSelector = z
  .object({ matchLabels: z.record(z.string().max(317), z.string().max(63)) })
  .strict();
const clusterNames = z.array(z.string().min(1).max(253)).min(1).max(500);

export const placementSchema = z
  .union([z.object({ clusters: clusterNames }).strict(), z.object({ clusterSelector }).strict()])
  .openapi('AppPlacement');

/** One RFC 6902 operation, aimed at one object of the manifests by kind and name. */
export const patchSchema = z
  .object({
    op: z.enum(['add', 'remove', 'replace', 'move', 'copy', 'test']),
    path: z.string().max(1024),
    from: z.string().max(1024).optional(),
    value: z.unknown().optional(),
    kind: z.string().min(1).max(63),
    name: z.string().min(1).max(253),
  })
  .strict();

export const overrideSchema = z
  .object({
    clusters: clusterNames.optional(),
    clusterSelector: clusterSelector.optional(),
    replicas: z.number().int().min(0).max(100_000).optional(),
    images: z.record(z.string().min(1).max(63), z.string().min(1).max(1024)).optional(),
    patches: z.array(patchSchema).max(100).optional(),
  })
  .strict()
  .refine((o) => (o.clusters === undefined) !== (o.clusterSelector === undefined), {
    message: 'name the clusters either by "clusters" or by "clusterSelector"',
  })
  .openapi('AppOverride');

export const rolloutSchema = z
  .object({
    maxUnavailableClusters: z.number().int().min(1).max(10_000),
    progressDeadlineSeconds: z.number().int().min(1).max(86_400).default(600),
  })
  .strict()
  .openapi('AppRollout');

export const nodesSchema = z.enum(['any', 'edge', 'cloud']);

export const DEFAULT_DELETE_TIMEOUT_SECONDS = 7 * 24 * 3600;

const specFields = {
  namespace: dnsLabel,
  manifests: z.union([z.string(), z.array(z.unknown()).max(1000)]),
  placement: placementSchema,
  nodes: nodesSchema.default('any'),
  overrides: z.array(overrideSchema).max(100).default([]),
  rollout: rolloutSchema.optional(),
  deleteTimeoutSeconds: z
    .number()
    .int()
    .min(0)
    .max(365 * 24 * 3600)
    .default(DEFAULT_DELETE_TIMEOUT_SECONDS),
};

export const createAppBody = z
  .object({ name: dnsLabel, ...specFields })
  .strict()
  .openapi('AppCreate');
export const replaceAppBody = z
  .object({ name: dnsLabel.optional(), ...specFields })
  .strict()
  .openapi('AppReplace');

export type CreateAppBody = z.infer<typeof createAppBody>;
export type AppOverride = z.infer<typeof overrideSchema>;
export type AppPlacement = z.infer<typeof placementSchema>;
export type AppPatch = z.infer<typeof patchSchema>;
export type Nodes = z.infer<typeof nodesSchema>;

/** What is stored in `apps.spec`. */
export interface AppSpec {
  placement: AppPlacement;
  nodes: Nodes;
  overrides: AppOverride[];
  rollout?: { maxUnavailableClusters: number; progressDeadlineSeconds: number };
}

export const appPhases = ['Progressing', 'Ready', 'Degraded', 'Halted', 'Deleting'] as const;
export const clusterStates = [
  'pending',
  'progressing',
  'ready',
  'failed',
  'unreachable',
  'deleting',
] as const;

const resourceSchema = z.object({
  apiVersion: z.string(),
  kind: z.string(),
  name: z.string(),
  ready: z.boolean(),
  message: z.string().optional(),
});

export const clusterStatusSchema = z
  .object({
    cluster: z.string(),
    state: z.enum(clusterStates),
    observedGeneration: z.number().int(),
    /** The generation the edge wants there (trails `generation` while a rollout has not reached it). */
    targetGeneration: z.number().int(),
    /** The tunnel connection this entry's last report came through. */
    connection: z.string().nullable(),
    message: z.string().optional(),
    resources: z.array(resourceSchema),
  })
  .openapi('AppClusterStatus');

export const appSchema = z
  .object({
    name: z.string(),
    workspace: z.string(),
    namespace: z.string(),
    generation: z.number().int(),
    manifests: z.array(z.record(z.string(), z.unknown())),
    placement: placementSchema,
    nodes: nodesSchema,
    overrides: z.array(overrideSchema),
    rollout: rolloutSchema.optional(),
    deleteTimeoutSeconds: z.number().int(),
    editor: z.object({ user: z.string(), groups: z.array(z.string()) }),
    createdBy: z.string().nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
    status: z.object({
      phase: z.enum(appPhases),
      message: z.string().optional(),
      halted: z.object({ cluster: z.string(), message: z.string() }).optional(),
      clusters: z.array(clusterStatusSchema),
      /** After a forced delete: clusters that may still hold the app's objects. */
      mayKeepObjects: z.array(z.string()).optional(),
    }),
  })
  .openapi('App');

export const appListSchema = z.object({ items: z.array(appSchema) }).openapi('AppList');
