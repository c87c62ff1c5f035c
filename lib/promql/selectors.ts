/**
 * The vector selectors of a parsed PromQL expression and their label
 * matchers, read from the lezer tree (matrix selectors and subqueries hold
 * vector selectors, so every series an expression reads comes from one).
 */
import type { SyntaxNode, Tree } from '@lezer/common';
import { unquotePromqlString } from './strings';

export type MatchOperator = '=' | '!=' | '=~' | '!~';

export interface LabelMatcherInfo {
  /** The label name, unquoted (undefined when its quoting cannot be read). */
  name: string | undefined;
  op: MatchOperator | undefined;
  /** The value, unquoted (undefined when its quoting cannot be read). */
  value: string | undefined;
}

export interface SelectorInfo {
  from: number;
  to: number;
  /** The metric name written before the braces, if any. */
  metric: string | undefined;
  /** End offset of the metric name (where braces go when there are none). */
  metricEnd: number | undefined;
  /** Offset just after `{`, when the selector has braces. */
  bracesOpenEnd: number | undefined;
  matchers: LabelMatcherInfo[];
  /** Bare quoted names inside the braces (`{"metric.name"}`): metric names. */
  quotedMetricNames: string[];
}

const opOf: Record<string, MatchOperator> = {
  EqlSingle: '=',
  Neq: '!=',
  EqlRegex: '=~',
  NeqRegex: '!~',
};

const text = (source: string, node: SyntaxNode | null) =>
  node ? source.slice(node.from, node.to) : undefined;

function readMatcher(source: string, node: SyntaxNode): LabelMatcherInfo {
  const nameNode = node.getChild('LabelName') ?? node.getChild('QuotedLabelName');
  let name: string | undefined;
  if (nameNode?.name === 'LabelName') name = text(source, nameNode);
  else if (nameNode) {
    const literal = text(source, nameNode.getChild('StringLiteral'));
    name = literal === undefined ? undefined : unquotePromqlString(literal);
  }
  const opNode = node.getChild('MatchOp')?.firstChild;
  const valueLiteral = text(source, node.getChild('StringLiteral'));
  return {
    name,
    op: opNode ? opOf[opNode.name] : undefined,
    value: valueLiteral === undefined ? undefined : unquotePromqlString(valueLiteral),
  };
}

function readSelector(source: string, node: SyntaxNode): SelectorInfo {
  const identifier = node.getChild('Identifier');
  const braces = node.getChild('LabelMatchers');
  const matchers: LabelMatcherInfo[] = [];
  const quotedMetricNames: string[] = [];
  if (braces) {
    for (let child = braces.firstChild; child; child = child.nextSibling) {
      if (child.name === 'UnquotedLabelMatcher' || child.name === 'QuotedLabelMatcher')
        matchers.push(readMatcher(source, child));
      else if (child.name === 'QuotedLabelName') {
        const literal = text(source, child.getChild('StringLiteral'));
        const value = literal === undefined ? undefined : unquotePromqlString(literal);
        if (value !== undefined) quotedMetricNames.push(value);
      }
    }
  }
  return {
    from: node.from,
    to: node.to,
    metric: text(source, identifier),
    metricEnd: identifier?.to,
    bracesOpenEnd: braces ? braces.from + 1 : undefined,
    matchers,
    quotedMetricNames,
  };
}

/** Every vector selector of `tree` (parsed from `source`), in source order. */
export function vectorSelectors(source: string, tree: Tree): SelectorInfo[] {
  const found: SelectorInfo[] = [];
  tree.iterate({
    enter(ref) {
      if (ref.name !== 'VectorSelector') return undefined;
      found.push(readSelector(source, ref.node));
      return false; // selectors do not nest
    },
  });
  return found;
}

/** The metric names an expression reads (by name, `__name__="…"` or a bare quoted name). */
export function metricNames(source: string, tree: Tree): string[] {
  const names = new Set<string>();
  for (const selector of vectorSelectors(source, tree)) {
    if (selector.metric) names.add(selector.metric);
    for (const quoted of selector.quotedMetricNames) names.add(quoted);
    for (const m of selector.matchers)
      if (m.name === '__name__' && m.op === '=' && m.value) names.add(m.value);
  }
  return [...names];
}
