export { type ParsedPromql, type PromqlSyntaxError, parsePromql, positionOf } from './parse';
export { NAMESPACE_LABEL, type ScopedPromql, scopeToNamespaces } from './scope';
export { metricNames, vectorSelectors } from './selectors';
export { quotePromqlString, unquotePromqlString } from './strings';
