import { z } from '@hono/zod-openapi';
import { MAX_EXPR_BYTES, ruleHealths, ruleSeverities } from '../../protocol/rules';

/** Prometheus label names (the ones a rule's labels and annotations may use). */
export const labelName = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must match [A-Za-z_][A-Za-z0-9_]*');

/** An alert name: it is also a path segment, so the characters Prometheus' names use. */
export const ruleName = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[A-Za-z_][A-Za-z0-9_:.-]*$/, 'must match [A-Za-z_][A-Za-z0-9_:.-]*');

export const durationText = z
  .string()
  .max(32)
  .openapi({ description: 'A Prometheus duration such as "5m" or "1h30m".', example: '5m' });

const labels = z
  .record(labelName, z.string().max(4096))
  .refine((r) => Object.keys(r).length <= 64, {
    message: 'at most 64 labels',
  });
const annotations = z
  .record(labelName, z.string().max(16 * 1024))
  .refine((r) => Object.keys(r).length <= 64, { message: 'at most 64 annotations' });

export const clusterSelectorSchema = z
  .strictObject({
    matchLabels: z
      .record(z.string().min(1).max(317), z.string().max(63))
      .refine((r) => Object.keys(r).length <= 32, { message: 'at most 32 labels' }),
  })
  .openapi('ClusterSelector');

/** A rule as the API takes it (POST, and PUT where `name` may be left out). */
export const ruleBody = z
  .strictObject({
    name: ruleName,
    expr: z.string().min(1).max(MAX_EXPR_BYTES),
    for: durationText.optional(),
    keepFiringFor: durationText.optional(),
    severity: z.enum(ruleSeverities).default('warning'),
    labels: labels.optional(),
    annotations: annotations.optional(),
    disabled: z.boolean().optional(),
    group: z.string().min(1).max(200).optional(),
    interval: durationText.optional(),
    clusterSelector: clusterSelectorSchema.optional().openapi({
      description: 'Fleet rules only: the clusters it applies to (all when left out).',
    }),
  })
  .openapi('AlertRuleInput');
export type RuleBody = z.infer<typeof ruleBody>;

export const replaceRuleBody = ruleBody.extend({ name: ruleName.optional() });

export const ruleEvaluationSchema = z
  .object({
    cluster: z.string(),
    health: z.enum(ruleHealths),
    lastError: z.string().nullable(),
    missingMetrics: z.array(z.string()),
    lastEvaluation: z.string().nullable(),
    evaluationMs: z.number().nullable(),
    samples: z.number().nullable(),
    state: z.enum(['inactive', 'pending', 'firing']),
    activeAlerts: z.number(),
  })
  .openapi('AlertRuleEvaluation');

export const ruleSchema = z
  .object({
    name: z.string(),
    level: z.enum(['fleet', 'cluster', 'namespace']),
    cluster: z.string().nullable(),
    workspace: z.string().nullable(),
    namespace: z.string().nullable(),
    clusterSelector: clusterSelectorSchema.nullable(),
    group: z.string(),
    interval: z.string(),
    expr: z.string(),
    for: z.string(),
    keepFiringFor: z.string(),
    severity: z.enum(ruleSeverities),
    labels: z.record(z.string(), z.string()),
    annotations: z.record(z.string(), z.string()),
    disabled: z.boolean(),
    orphaned: z.boolean().openapi({
      description:
        'Namespace rules: the namespace is no longer placed in the workspace here, so the rule is not evaluated.',
    }),
    createdBy: z.string().nullable(),
    createdAt: z.iso.datetime(),
    updatedBy: z.string().nullable(),
    updatedAt: z.iso.datetime(),
    evaluations: z
      .array(ruleEvaluationSchema)
      .openapi({ description: 'The last evaluation in each cluster the rule applies to.' }),
  })
  .openapi('AlertRule');

export const ruleListQuery = z.object({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(512).optional(),
  format: z.enum(['json', 'prometheus']).optional(),
});

export const importQuery = z.object({ mode: z.enum(['replace', 'merge']).default('merge') });

export const importResultSchema = z
  .object({
    mode: z.enum(['replace', 'merge']),
    imported: z.number(),
    groups: z.array(z.object({ name: z.string(), rules: z.array(z.string()) })),
  })
  .openapi('AlertRuleImport');

/** A Prometheus rule file (YAML or JSON) under each of its media type spellings. */
const ruleFileText = z
  .string()
  .openapi({ description: 'A Prometheus rule file: `groups: [{name, interval?, rules: [...]}]`.' });
export const importBody = {
  content: {
    'application/yaml': { schema: ruleFileText },
    'application/x-yaml': { schema: ruleFileText },
    'text/yaml': { schema: ruleFileText },
    'text/x-yaml': { schema: ruleFileText },
    'application/json': { schema: z.unknown().openapi({ description: 'The same, as JSON.' }) },
  },
  required: true,
};
