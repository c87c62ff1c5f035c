import { builtinPlatformRoles } from '../../db/builtin-roles';
import type { EffectiveBinding, Principal } from '../../db/principal';
import type { PolicyRule } from '../../db/schema/roles';
import { forbidden, notFound } from '../errors';

/** Where an action happens. A namespace carries its workspace and cluster so their roles apply. */
export type Scope =
  | { level: 'platform' }
  | { level: 'cluster'; clusterId: string }
  | { level: 'workspace'; workspaceId: string }
  | { level: 'namespace'; namespaceId: string; workspaceId: string; clusterId: string };

export const platformScope: Scope = { level: 'platform' };

const matches = (allowed: string[], value: string) =>
  allowed.includes('*') || allowed.includes(value);

export function ruleAllows(rules: PolicyRule[], verb: string, resource: string): boolean {
  return rules.some((rule) => matches(rule.verbs, verb) && matches(rule.resources, resource));
}

/** Whether a binding at its scope also covers `scope` (roles flow down: cluster/workspace → namespace). */
export function bindingCovers(binding: EffectiveBinding, scope: Scope): boolean {
  switch (scope.level) {
    case 'platform':
      return false;
    case 'cluster':
      return binding.scopeType === 'cluster' && binding.scopeId === scope.clusterId;
    case 'workspace':
      return binding.scopeType === 'workspace' && binding.scopeId === scope.workspaceId;
    case 'namespace':
      return (
        (binding.scopeType === 'namespace' && binding.scopeId === scope.namespaceId) ||
        (binding.scopeType === 'workspace' && binding.scopeId === scope.workspaceId) ||
        (binding.scopeType === 'cluster' && binding.scopeId === scope.clusterId)
      );
  }
}

function tokenScopeAllows(scopes: string[], verb: string, resource: string): boolean {
  if (scopes.length === 0) return true;
  return scopes.some((s) => {
    const [v = '', r = ''] = s.split(':');
    return (v === '*' || v === verb) && (r === '*' || r === resource);
  });
}

/**
 * The one authorization decision: may `principal` do `verb` on `resource`
 * at `scope`? Platform roles apply everywhere; scoped roles apply at their
 * scope and below; API-token scopes can only narrow, never widen.
 */
export function can(principal: Principal, verb: string, resource: string, scope: Scope): boolean {
  if (!tokenScopeAllows(principal.scopes, verb, resource)) return false;
  if (ruleAllows(builtinPlatformRoles[principal.platformRole], verb, resource)) return true;
  return principal.bindings.some(
    (b) => bindingCovers(b, scope) && ruleAllows(b.rules, verb, resource),
  );
}

/**
 * Whether the caller may know `scope` exists at all: any role there or below
 * it, or platform-wide read of that kind. Used to answer 404 instead of 403 so
 * names of other tenants never leak.
 */
export function canSee(principal: Principal, scope: Scope): boolean {
  switch (scope.level) {
    case 'platform':
      return true;
    case 'cluster':
      return (
        can(principal, 'get', 'clusters', scope) ||
        principal.bindings.some((b) => b.scopeType === 'cluster' && b.scopeId === scope.clusterId)
      );
    case 'workspace':
      return (
        can(principal, 'get', 'workspaces', scope) ||
        principal.bindings.some((b) => bindingCovers(b, scope))
      );
    case 'namespace':
      // A workspace role alone does not reveal the workspace's namespaces
      // (KubeSphere: regular members see only the projects they were invited
      // to); roles that read namespaces do.
      return (
        can(principal, 'get', 'namespaces', scope) ||
        principal.bindings.some(
          (b) => b.scopeType === 'namespace' && b.scopeId === scope.namespaceId,
        )
      );
  }
}

/**
 * Whether the caller could do everything `rules` grant at `scope` – the
 * guard against escalation when creating a custom role or binding one.
 */
export function canGrant(principal: Principal, rules: PolicyRule[], scope: Scope): boolean {
  return rules.every((rule) =>
    rule.verbs.every((verb) =>
      rule.resources.every((resource) => can(principal, verb, resource, scope)),
    ),
  );
}

/**
 * Throws 404 when the caller cannot see the scope, 403 when they can see it
 * but may not act. `what` names the resource in the 404 message.
 */
export function authorize(
  principal: Principal,
  verb: string,
  resource: string,
  scope: Scope,
  what: string,
): void {
  if (can(principal, verb, resource, scope)) return;
  if (!canSee(principal, scope)) throw notFound(what);
  throw forbidden(`You may not ${verb} ${resource} here.`);
}
