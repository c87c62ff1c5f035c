import { z } from '@hono/zod-openapi';
import { canonicalAmount, isQuotaResource, quotaResources } from '../../protocol/quota-resources';

const quantities = z
  .record(z.string(), z.string())
  .openapi({ example: { cpu: '8', memory: '16Gi', pods: '100' } });

/**
 * `hard`: resource name → Kubernetes quantity. Unknown names and values that
 * are not non-negative quantities fail with the offending key as the path.
 */
export const hardSchema = z
  .record(z.string().max(64), z.string().max(64))
  .superRefine((hard, ctx) => {
    for (const [name, text] of Object.entries(hard)) {
      if (!isQuotaResource(name)) {
        ctx.addIssue({
          code: 'custom',
          path: [name],
          message: `unknown resource; one of ${quotaResources.join(', ')}`,
        });
        continue;
      }
      const amount = canonicalAmount(name, text);
      if (!amount.ok) ctx.addIssue({ code: 'custom', path: [name], message: amount.reason });
    }
  })
  .openapi({
    description: `Caps over all the workspace's namespaces in every cluster: ${quotaResources.join(', ')}. Empty: no quota.`,
    example: { cpu: '8', memory: '16Gi', pods: '100' },
  });

export const putQuotaBody = z.strictObject({ hard: hardSchema });

export const quotaSchema = z
  .object({
    workspace: z.string(),
    hard: quantities,
    used: quantities.openapi({ description: 'Summed over every cluster that reported.' }),
    clusters: z.array(
      z.object({
        cluster: z.string(),
        used: quantities,
        reportedAt: z.iso.datetime().nullable(),
      }),
    ),
    revision: z.number().int(),
    updatedBy: z.string().nullable(),
    updatedAt: z.iso.datetime().nullable(),
  })
  .openapi('WorkspaceQuota');

export const putQuotaResult = quotaSchema
  .extend({
    distributed: z
      .array(z.object({ cluster: z.string(), agents: z.number().int() }))
      .openapi({ description: 'Connected agents each cluster pushed the quota to just now.' }),
  })
  .openapi('WorkspaceQuotaWritten');

export type QuotaView = z.infer<typeof quotaSchema>;
