/**
 * A tiny stand-in for the member cluster's RBAC, applied to impersonated
 * requests only, so tests can prove the caller's identity (not the agent's
 * ServiceAccount) decides what a proxied request may do.
 */
export interface RbacRule {
  verbs: string[];
  /** Plural names ("pods", "pods/log", "namespaces"); "*" for any. */
  resources: string[];
  /** Restrict to these namespaces; omit for all (and for cluster-scoped resources). */
  namespaces?: string[];
}

export interface RbacTable {
  users?: Record<string, RbacRule[]>;
  groups?: Record<string, RbacRule[]>;
}

export interface AccessRequest {
  user: string;
  groups: string[];
  verb: string;
  resource: string;
  namespace?: string;
}

const hit = (list: string[], value: string) => list.includes('*') || list.includes(value);

function ruleAllows(rule: RbacRule, request: AccessRequest): boolean {
  if (!hit(rule.verbs, request.verb) || !hit(rule.resources, request.resource)) return false;
  if (!rule.namespaces) return true;
  return request.namespace !== undefined && hit(rule.namespaces, request.namespace);
}

export function rbacAllows(table: RbacTable, request: AccessRequest): boolean {
  const rules = [
    ...(table.users?.[request.user] ?? []),
    ...request.groups.flatMap((group) => table.groups?.[group] ?? []),
  ];
  return rules.some((rule) => ruleAllows(rule, request));
}
