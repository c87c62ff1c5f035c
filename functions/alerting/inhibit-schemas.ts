import { z } from '@hono/zod-openapi';
import { dnsLabel } from '../iam/names';
import { labelMatcher } from '../notify/schemas';

const labelName = z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/, 'not a label name');

/** Alertmanager's inhibit_rules entry, with edgetower's matcher objects. */
export const inhibitRuleBody = z
  .strictObject({
    name: dnsLabel,
    sourceMatchers: z.array(labelMatcher).min(1).max(32),
    targetMatchers: z.array(labelMatcher).min(1).max(32),
    equal: z.array(labelName).max(32).optional(),
  })
  .openapi('InhibitRuleInput');

const matcherView = z.object({ name: z.string(), value: z.string(), op: z.string() });

export const inhibitRuleView = z
  .object({
    id: z.string(),
    name: z.string(),
    sourceMatchers: z.array(matcherView),
    targetMatchers: z.array(matcherView),
    equal: z.array(z.string()),
    /** True for the built-in default, listed while no rule is stored. */
    builtIn: z.boolean(),
    createdAt: z.string().optional(),
    updatedAt: z.string().optional(),
  })
  .openapi('InhibitRule');

export const inhibitRuleList = z
  .object({
    items: z.array(inhibitRuleView),
    /** True while no rule is stored and the built-in default applies. */
    usingDefault: z.boolean(),
  })
  .openapi('InhibitRules');
