/**
 * The tunnel's application-delivery frames, shared by the edge's delivery
 * feature (functions/delivery/) and the agent's applier (agents/delivery/).
 * zod only: both runtimes load this module.
 *
 * Model: the edge keeps, per (app, cluster), the desired generation and the
 * generation the cluster last acknowledged. It sends `delivery-apply` for
 * every app whose desired generation the cluster has not acknowledged (on
 * every hello of the leader, and within a second of an edit), and
 * `delivery-delete` for apps removed from the cluster (placement change,
 * app deleted). The agent's leader applies with server-side apply (field
 * manager `edgetower`) impersonating the app's last editor, and reports
 * `delivery-status` whenever an app's state changes (watch-driven) and
 * `delivery-state` (what it holds) after each hello so the edge can resend
 * only what changed since the last acknowledged generation.
 */
import { z } from 'zod';

const name = z.string().min(1).max(253);
const dnsLabel = z.string().min(1).max(63);

/** Labels every object delivered by edgetower carries. */
export const DELIVERY_LABELS = {
  managedBy: 'app.kubernetes.io/managed-by',
  appName: 'app.edgetower.io/name',
  /** The app's immutable id (a re-created app of the same name is another app). */
  appId: 'app.edgetower.io/id',
  generation: 'app.edgetower.io/generation',
  workspace: 'kubesphere.io/workspace',
} as const;
export const DELIVERY_FIELD_MANAGER = 'edgetower';

/** Who the agent impersonates for an app: its last editor at edit time. */
export const deliveryIdentity = z.object({
  user: name,
  groups: z.array(name).max(256),
});

/** A Kubernetes object as JSON (apiVersion, kind, metadata.name required). */
export const kubeObject = z
  .object({
    apiVersion: z.string().min(1).max(253),
    kind: z.string().min(1).max(63),
    metadata: z.object({ name }).loose(),
  })
  .loose();

/**
 * Edge → agent: the desired state of apps in this cluster. `manifests` are
 * final for this cluster (overrides and node placement applied), without
 * the delivery labels (the agent adds them), all in `namespace`.
 */
export const deliveryApplyFrame = z.object({
  type: z.literal('delivery-apply'),
  apps: z
    .array(
      z.object({
        appId: z.string().min(1).max(64),
        name: dnsLabel,
        workspace: name,
        namespace: dnsLabel,
        generation: z.number().int().positive(),
        manifests: z.array(kubeObject).max(1000),
        identity: deliveryIdentity,
        /** Workloads not ready this long after an apply report `failed` (progress deadline). */
        progressDeadlineSeconds: z.number().int().positive().max(86_400),
      }),
    )
    .max(10_000),
});

/**
 * Edge → agent: remove these apps' objects from the cluster (background
 * propagation), found by the `app.edgetower.io/id` label. The namespace
 * itself is never deleted.
 */
export const deliveryDeleteFrame = z.object({
  type: z.literal('delivery-delete'),
  apps: z
    .array(
      z.object({
        appId: z.string().min(1).max(64),
        namespace: dnsLabel,
        identity: deliveryIdentity,
      }),
    )
    .max(10_000),
});

export const deliveryStates = [
  'pending',
  'progressing',
  'ready',
  'failed',
  'deleting',
  'deleted',
] as const;
export type DeliveryState = (typeof deliveryStates)[number];

export const deliveredResource = z.object({
  apiVersion: z.string().max(253),
  kind: z.string().max(63),
  name,
  ready: z.boolean(),
  message: z.string().max(1024).optional(),
});

/**
 * Agent (leader) → edge: the state of apps in this cluster, sent when it
 * changes. `generation` is the generation the state is about; `deleted`
 * confirms a `delivery-delete` (the edge then forgets the app here).
 */
export const deliveryStatusFrame = z.object({
  type: z.literal('delivery-status'),
  apps: z
    .array(
      z.object({
        appId: z.string().min(1).max(64),
        generation: z.number().int().nonnegative(),
        state: z.enum(deliveryStates),
        message: z.string().max(2048).optional(),
        resources: z.array(deliveredResource).max(1000),
      }),
    )
    .max(10_000),
});

/**
 * Agent (leader) → edge, after each hello: every app the cluster holds
 * objects of, with the generation they carry, so the edge sends only what
 * the cluster lacks (and deletes what it should no longer hold). An app
 * whose objects exist but whose desired state the agent does not have (it
 * restarted; it keeps nothing on disk) is listed with generation 0: send it
 * again, so status and drift correction resume.
 */
export const deliveryStateFrame = z.object({
  type: z.literal('delivery-state'),
  apps: z
    .array(z.object({ appId: z.string().min(1).max(64), generation: z.number().int() }))
    .max(10_000),
});

export type DeliveryIdentity = z.infer<typeof deliveryIdentity>;
export type KubeObject = z.infer<typeof kubeObject>;
export type DeliveryApplyFrame = z.infer<typeof deliveryApplyFrame>;
export type DeliveryApp = DeliveryApplyFrame['apps'][number];
export type DeliveryDeleteFrame = z.infer<typeof deliveryDeleteFrame>;
export type DeliveryStatusFrame = z.infer<typeof deliveryStatusFrame>;
export type DeliveryAppStatus = DeliveryStatusFrame['apps'][number];
export type DeliveredResource = z.infer<typeof deliveredResource>;
export type DeliveryStateFrame = z.infer<typeof deliveryStateFrame>;
