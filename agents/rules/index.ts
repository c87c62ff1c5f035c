export { type AlertsPayload, type RuleEvaluator, startRuleEvaluator } from './evaluator';
export { configMapStateStore, RULE_STATE_CONFIGMAP } from './state-store';
