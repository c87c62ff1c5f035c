import type { KubeObject } from './types';

/** A parsed label or field selector: every requirement must hold. */
export type Selector = (obj: KubeObject) => boolean;

interface Requirement {
  key: string;
  op: '=' | '!=' | 'exists' | '!exists';
  value?: string;
}

function parseRequirements(text: string): Requirement[] {
  const out: Requirement[] = [];
  for (const raw of text.split(',')) {
    const term = raw.trim();
    if (!term) continue;
    const neq = term.indexOf('!=');
    if (neq > 0) {
      out.push({ key: term.slice(0, neq), op: '!=', value: term.slice(neq + 2) });
      continue;
    }
    const eq = term.indexOf('=');
    if (eq > 0) {
      const value = term.slice(term[eq + 1] === '=' ? eq + 2 : eq + 1);
      out.push({ key: term.slice(0, eq), op: '=', value });
      continue;
    }
    if (term.startsWith('!')) out.push({ key: term.slice(1), op: '!exists' });
    else out.push({ key: term, op: 'exists' });
  }
  return out;
}

function matches(actual: string | undefined, req: Requirement): boolean {
  switch (req.op) {
    case '=':
      return actual === req.value;
    case '!=':
      return actual !== req.value;
    case 'exists':
      return actual !== undefined;
    case '!exists':
      return actual === undefined;
  }
}

export function labelSelector(text: string | null): Selector | undefined {
  if (!text) return undefined;
  const reqs = parseRequirements(text);
  return (obj) => reqs.every((req) => matches(obj.metadata.labels?.[req.key], req));
}

function fieldValue(obj: KubeObject, path: string): string | undefined {
  let current: unknown = obj;
  for (const part of path.split('.')) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string, unknown>)[part];
  }
  if (current === undefined || current === null) return '';
  return typeof current === 'string' ? current : String(current);
}

export function fieldSelector(text: string | null): Selector | undefined {
  if (!text) return undefined;
  const reqs = parseRequirements(text);
  return (obj) => reqs.every((req) => matches(fieldValue(obj, req.key), req));
}

export function allOf(...selectors: (Selector | undefined)[]): Selector {
  const active = selectors.filter((s): s is Selector => s !== undefined);
  return (obj) => active.every((s) => s(obj));
}
