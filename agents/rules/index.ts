export {
  type AlertsPayload,
  type RuleEvaluator,
  type RuleEvaluatorOptions,
  startRuleEvaluator,
} from './evaluator';
export { configMapStateStore, RULE_STATE_CONFIGMAP } from './state-store';
