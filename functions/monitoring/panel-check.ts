import type { MonitoringPanel } from '../../db/schema';
import { type PromqlSyntaxError, parsePromql, scopeToNamespaces } from '../../lib/promql';
import { ApiError } from '../errors';
import type { PanelInput } from './schemas';

/** A field message editors and the dashboard can point at: `line L, column C: …`. */
export const atPosition = (error: PromqlSyntaxError) =>
  `line ${error.line}, column ${error.column}: ${error.message}`;

/**
 * What a query runs as: parsed with Prometheus' grammar and, for a namespace
 * dashboard, pinned to its namespace (refused when it names another).
 */
export type CheckedQuery =
  | { ok: true; expr: string }
  | { ok: false; code: 'invalid_promql' | 'namespace_not_allowed'; error: PromqlSyntaxError };

export function checkQuery(query: string, pinTo: readonly string[] | undefined): CheckedQuery {
  if (pinTo) return scopeToNamespaces(query, pinTo);
  const parsed = parsePromql(query);
  return parsed.ok
    ? { ok: true, expr: query }
    : { ok: false, code: 'invalid_promql', error: parsed.error };
}

function newPanelId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(6));
  return [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('');
}

/**
 * The panels to store: every query checked (400 naming each bad panel's
 * field, line and column; the code of the first), ids kept when they name
 * a panel of the dashboard already, new ones otherwise (never duplicated).
 */
export function checkedPanels(
  inputs: readonly PanelInput[],
  pinTo: readonly string[] | undefined,
  existingIds: ReadonlySet<string> = new Set(),
): MonitoringPanel[] {
  const fields: { path: string; message: string }[] = [];
  let code: string | undefined;
  inputs.forEach((panel, i) => {
    const checked = checkQuery(panel.query, pinTo);
    if (checked.ok) return;
    code ??= checked.code;
    fields.push({ path: `panels.${i}.query`, message: atPosition(checked.error) });
  });
  if (code)
    throw new ApiError(
      400,
      `Invalid PromQL: ${fields.map((f) => `${f.path}: ${f.message}`).join('; ')}`,
      { code, fields },
    );
  const used = new Set<string>();
  return inputs.map((panel) => {
    let id = panel.id && existingIds.has(panel.id) && !used.has(panel.id) ? panel.id : newPanelId();
    while (used.has(id)) id = newPanelId();
    used.add(id);
    return {
      id,
      title: panel.title,
      query: panel.query,
      ...(panel.unit ? { unit: panel.unit } : {}),
      ...(panel.range ? { range: panel.range } : {}),
    };
  });
}
