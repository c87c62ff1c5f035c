/**
 * PromQL syntax checking with the Prometheus project's own grammar
 * (@prometheus-io/lezer-promql, the parser behind Prometheus' query editor).
 * The grammar recovers from errors instead of throwing, so an expression is
 * valid only when its tree holds no error node.
 */
import type { SyntaxNode, Tree } from '@lezer/common';
import { parser } from '@prometheus-io/lezer-promql';

export interface PromqlPosition {
  /** 1-based line and column (in UTF-16 code units, as editors count). */
  line: number;
  column: number;
}

export interface PromqlSyntaxError extends PromqlPosition {
  message: string;
}

export type ParsedPromql =
  | { ok: true; tree: Tree; expr: string }
  | { ok: false; error: PromqlSyntaxError };

/** Line and column of an offset into `text`. */
export function positionOf(text: string, offset: number): PromqlPosition {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}

function describeError(expr: string, node: SyntaxNode): string {
  const found = expr.slice(node.from, node.to).trim();
  if (found) return `unexpected "${found.length > 40 ? `${found.slice(0, 40)}…` : found}"`;
  const next = expr.slice(node.from).trimStart();
  if (!next) return 'unexpected end of expression';
  const token = next.match(/^\S+/)?.[0] ?? next.slice(0, 1);
  return `unexpected "${token.slice(0, 40)}"`;
}

/** Parses `expr`; the first syntax error comes back with its line and column. */
export function parsePromql(expr: string): ParsedPromql {
  if (!expr.trim())
    return { ok: false, error: { line: 1, column: 1, message: 'empty expression' } };
  const tree = parser.parse(expr);
  let first: SyntaxNode | undefined;
  tree.iterate({
    enter(ref) {
      if (first) return false;
      if (ref.type.isError) {
        first = ref.node;
        return false;
      }
      return undefined;
    },
  });
  if (first)
    return {
      ok: false,
      error: { ...positionOf(expr, first.from), message: describeError(expr, first) },
    };
  return { ok: true, tree, expr };
}
