/**
 * Fills `{{ name }}` placeholders from `values`; an unknown name becomes
 * the empty string (as a missing label does in Alertmanager templates).
 * Deliberately no logic: templates are tenant input, rendered on every send.
 */
export function fillPlaceholders(
  template: string,
  values: (name: string) => string | undefined,
): string {
  return template.replace(
    /\{\{\s*([a-zA-Z_][a-zA-Z0-9_.]*)\s*\}\}/g,
    (_, name: string) => values(name) ?? '',
  );
}
