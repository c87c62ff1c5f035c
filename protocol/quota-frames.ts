/**
 * The tunnel's quota frames (protocol/tunnel.ts adds them to its
 * union). Amounts are canonical numbers (cpu millicores, memory bytes, pod
 * count) so neither side re-parses quantities on the hot path. No Node or
 * Workers imports: the agent loads this module.
 */
import { z } from 'zod';
import { quotaResources } from './quota-resources';

const workspaceName = z.string().min(1).max(253);
const amounts = z.partialRecord(z.enum(quotaResources), z.number().nonnegative());

/**
 * Edge → agent: every quota that applies in this cluster, whole (a
 * workspace missing from the list has no quota here any more). `revision`
 * grows with every push, so an agent can drop a push that arrives late.
 */
export const quotasFrame = z.object({
  type: z.literal('quotas'),
  revision: z.number().int().nonnegative(),
  workspaces: z
    .array(
      z.object({
        workspace: workspaceName,
        hard: amounts,
        /** What the workspace uses in its other clusters, so one cap spans the fleet. */
        usedElsewhere: amounts,
      }),
    )
    .max(100_000),
});

/**
 * Agent (leader) → edge: what each workspace with a quota uses in this
 * cluster, and which resources admission denied since the last report.
 */
export const quotaUsageFrame = z.object({
  type: z.literal('quota-usage'),
  workspaces: z
    .array(
      z.object({
        workspace: workspaceName,
        used: amounts,
        denied: z.array(z.enum(quotaResources)).max(quotaResources.length).optional(),
      }),
    )
    .max(100_000),
});

export type QuotasFrame = z.infer<typeof quotasFrame>;
export type QuotaUsageFrame = z.infer<typeof quotaUsageFrame>;
export type WorkspaceQuotaPush = QuotasFrame['workspaces'][number];
export type WorkspaceUsageReport = QuotaUsageFrame['workspaces'][number];
