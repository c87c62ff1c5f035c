/**
 * Prometheus rule files (`groups: [{name, interval?, rules: [...]}]`) in and
 * out. Reading is strict like Prometheus' own rulefmt (unknown keys are
 * errors) and all-or-nothing: the first problem names its group and rule
 * index. Recording rules are refused by name: edgetower evaluates alerting
 * rules only. Severity travels as the `severity` label, as in kube-prometheus.
 */
import { parse, stringify } from 'yaml';
import { z } from 'zod';
import type { AlertRuleRow } from '../../db/queries/alert-rules';
import { ruleSeverities } from '../../protocol/rules';
import { badRequest } from '../errors';
import { formatDuration } from './duration';
import { RuleProblem } from './problems';
import { durationText, labelName, type RuleBody, ruleName } from './schemas';

/** Rules one import may carry (a target may hold more, added in several imports). */
export const MAX_IMPORT_RULES = 1_000;

const fileRule = z.strictObject({
  alert: ruleName.optional(),
  record: z.string().max(253).optional(),
  expr: z.union([z.string(), z.number()]).transform(String),
  for: durationText.optional(),
  keep_firing_for: durationText.optional(),
  labels: z
    .record(labelName, z.union([z.string(), z.number(), z.boolean()]).transform(String))
    .optional(),
  annotations: z.record(labelName, z.string()).optional(),
});
const fileGroup = z.strictObject({
  name: z.string().min(1).max(200),
  interval: durationText.optional(),
  limit: z.number().int().nonnegative().optional(),
  rules: z.array(z.unknown()).max(MAX_IMPORT_RULES),
});
const ruleFile = z.strictObject({ groups: z.array(z.unknown()).max(MAX_IMPORT_RULES) });

/** A rule of the file, as the API body it stands for, with where it came from. */
export interface ImportedRule {
  body: RuleBody;
  group: number;
  rule: number;
}

function issueText(error: z.ZodError): string {
  return error.issues
    .map((i) => `${i.path.map(String).join('.') || '(top)'}: ${i.message}`)
    .join('; ')
    .slice(0, 1024);
}

/** Reads a rule file's text (YAML, of which JSON is a subset). */
export function readRuleFile(text: string): ImportedRule[] {
  let document: unknown;
  try {
    document = parse(text, { maxAliasCount: 50, uniqueKeys: true });
  } catch (error) {
    const pos = (error as { linePos?: { line: number; col: number }[] }).linePos?.[0];
    const first = String((error as Error).message ?? error)
      .split('\n')[0]
      ?.slice(0, 300);
    throw new RuleProblem(
      'invalid_yaml',
      `The rule file is not valid YAML: ${first}`,
      pos ? { line: pos.line, column: pos.col } : {},
    );
  }
  const top = ruleFile.safeParse(document);
  if (!top.success)
    throw badRequest(`Not a Prometheus rule file (groups: [...]): ${issueText(top.error)}`, [
      { path: 'groups', message: 'expected `groups: [{name, rules: [...]}]`' },
    ]);
  const out: ImportedRule[] = [];
  const groupNames = new Set<string>();
  for (const [g, rawGroup] of top.data.groups.entries()) {
    const group = fileGroup.safeParse(rawGroup);
    if (!group.success)
      throw new RuleProblem('validation_failed', `groups[${g}]: ${issueText(group.error)}`, {
        group: g,
      });
    if (groupNames.has(group.data.name))
      throw new RuleProblem(
        'validation_failed',
        `groups[${g}]: group "${group.data.name}" is repeated.`,
        {
          group: g,
        },
      );
    groupNames.add(group.data.name);
    const recording: string[] = [];
    for (const [r, rawRule] of group.data.rules.entries()) {
      const parsed = fileRule.safeParse(rawRule);
      if (!parsed.success)
        throw new RuleProblem(
          'validation_failed',
          `groups[${g}].rules[${r}]: ${issueText(parsed.error)}`,
          { group: g, rule: r },
        );
      const entry = parsed.data;
      if (entry.record !== undefined) {
        recording.push(`${entry.record} (groups[${g}].rules[${r}])`);
        continue;
      }
      if (entry.alert === undefined)
        throw new RuleProblem(
          'validation_failed',
          `groups[${g}].rules[${r}]: "alert" is missing.`,
          {
            group: g,
            rule: r,
          },
        );
      const { severity = 'warning', ...labels } = entry.labels ?? {};
      if (!(ruleSeverities as readonly string[]).includes(severity))
        throw new RuleProblem(
          'validation_failed',
          `groups[${g}].rules[${r}]: labels.severity must be critical, warning or info (got "${severity.slice(0, 32)}").`,
          { group: g, rule: r },
        );
      out.push({
        group: g,
        rule: r,
        body: {
          name: entry.alert,
          expr: entry.expr,
          ...(entry.for !== undefined ? { for: entry.for } : {}),
          ...(entry.keep_firing_for !== undefined ? { keepFiringFor: entry.keep_firing_for } : {}),
          severity: severity as RuleBody['severity'],
          labels,
          annotations: entry.annotations ?? {},
          group: group.data.name,
          ...(group.data.interval !== undefined ? { interval: group.data.interval } : {}),
        },
      });
    }
    if (recording.length > 0)
      throw new RuleProblem(
        'recording_rules_unsupported',
        `Recording rules are not supported (edgetower evaluates alerting rules only): ${recording.join(', ').slice(0, 512)}.`,
        { group: g },
      );
  }
  if (out.length > MAX_IMPORT_RULES)
    throw badRequest(`A rule file may hold at most ${MAX_IMPORT_RULES} rules.`);
  const seen = new Set<string>();
  for (const item of out) {
    if (seen.has(item.body.name))
      throw new RuleProblem(
        'validation_failed',
        `groups[${item.group}].rules[${item.rule}]: alert "${item.body.name}" is defined twice (names are unique per level).`,
        { group: item.group, rule: item.rule },
      );
    seen.add(item.body.name);
  }
  return out;
}

/** Stored rules as a Prometheus rule file (groups in name order, rules by name). */
export function writeRuleFile(rows: AlertRuleRow[]): string {
  const groups = new Map<string, AlertRuleRow[]>();
  for (const row of rows) groups.set(row.groupName, [...(groups.get(row.groupName) ?? []), row]);
  const file = {
    groups: [...groups.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([name, members]) => ({
        name,
        interval: formatDuration(Math.min(...members.map((m) => m.intervalSeconds))),
        rules: members
          .sort((a, b) => a.name.localeCompare(b.name))
          .map((m) => ({
            alert: m.name,
            expr: m.expr,
            ...(m.forSeconds > 0 ? { for: formatDuration(m.forSeconds) } : {}),
            ...(m.keepFiringForSeconds > 0
              ? { keep_firing_for: formatDuration(m.keepFiringForSeconds) }
              : {}),
            labels: { ...m.labels, severity: m.severity },
            ...(Object.keys(m.annotations).length > 0 ? { annotations: m.annotations } : {}),
          })),
      })),
  };
  return stringify(file, { lineWidth: 0 });
}
