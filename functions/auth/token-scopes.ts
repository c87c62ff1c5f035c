/** Verbs an API-token scope may name (Kubernetes' verbs plus `*`). */
export const scopeVerbs = ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete', '*'];

const scopePattern = /^([a-z*]+):([a-z0-9*][a-z0-9-]*)$/;

/** Why a `verb:resource` scope is malformed, or undefined when it is fine. */
export function scopeProblem(scope: string): string | undefined {
  const match = scopePattern.exec(scope);
  if (!match) return `"${scope}" is not verb:resource (e.g. list:workspaces, create:alerts, *:*)`;
  if (!scopeVerbs.includes(match[1] ?? ''))
    return `"${match[1]}" is not one of ${scopeVerbs.join(', ')}`;
  if ((match[2] ?? '').includes('*') && match[2] !== '*') return `"${match[2]}": use * alone`;
  return undefined;
}

/**
 * Whether token scopes allow `verb` on `resource`; no scopes means the
 * owner's full rights. Mirrors the narrowing in iam/authorize.ts.
 */
export function scopesAllow(scopes: string[], verb: string, resource: string): boolean {
  if (scopes.length === 0) return true;
  return scopes.some((s) => {
    const [v = '', r = ''] = s.split(':');
    return (v === '*' || v === verb) && (r === '*' || r === resource);
  });
}

/** Whether every scope in `requested` is within `held` (so a token cannot mint a wider one). */
export function scopesWithin(held: string[], requested: string[]): boolean {
  if (held.length === 0) return true;
  if (requested.length === 0) return false;
  return requested.every((s) => {
    const [v = '', r = ''] = s.split(':');
    return held.some((h) => {
      const [hv = '', hr = ''] = h.split(':');
      return (hv === '*' || hv === v) && (hr === '*' || hr === r);
    });
  });
}
