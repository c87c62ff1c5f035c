import { type EvaluatedRule, RULE_ALERT_LABELS } from '../../protocol/rules';

export type Labels = Record<string, string>;

/**
 * An alert's labels as Prometheus builds them — the series' labels without
 * `__name__`, then the rule's labels, then `alertname` — plus what edgetower
 * adds last, so nothing before can override it: severity, the rule's id and
 * level, and for a namespace rule its namespace and workspace. A namespace
 * rule's alerts thus always land in its own tenant, whatever `label_replace`
 * or the rule's labels tried (the edge refuses such rule labels too).
 */
export function alertLabels(rule: EvaluatedRule, series: Labels, ruleLabels: Labels): Labels {
  const out: Labels = {};
  for (const [name, value] of Object.entries(series)) if (name !== '__name__') out[name] = value;
  for (const [name, value] of Object.entries(ruleLabels)) {
    // Prometheus drops a label whose templated value is empty.
    if (value === '') delete out[name];
    else out[name] = value;
  }
  out[RULE_ALERT_LABELS.alertname] = rule.name;
  out[RULE_ALERT_LABELS.severity] = rule.severity;
  out[RULE_ALERT_LABELS.ruleId] = rule.id;
  out[RULE_ALERT_LABELS.ruleLevel] = rule.level;
  if (rule.level === 'namespace') {
    if (rule.namespace) out[RULE_ALERT_LABELS.namespace] = rule.namespace;
    if (rule.workspace) out[RULE_ALERT_LABELS.workspace] = rule.workspace;
    else delete out[RULE_ALERT_LABELS.workspace];
  }
  return out;
}

/** A label set's identity: its pairs, sorted, in a form no label value can forge. */
export function fingerprint(labels: Labels): string {
  return JSON.stringify(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
