/** Reads a claim or JSON field by a dotted path (`realm_access.roles`, `login`). */
export function pick(source: unknown, path: string): unknown {
  let value: unknown = source;
  for (const key of path.split('.')) {
    if (typeof value !== 'object' || value === null) return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

export function pickString(source: unknown, path: string): string | undefined {
  const value = pick(source, path);
  if (typeof value === 'string' && value) return value;
  if (typeof value === 'number') return String(value);
  return undefined;
}

export function pickStrings(source: unknown, path: string): string[] {
  const value = pick(source, path);
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === 'string');
  return typeof value === 'string' ? [value] : [];
}
