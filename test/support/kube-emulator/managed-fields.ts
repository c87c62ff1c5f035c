/**
 * managedFields as the API server keeps them (FieldsV1), for the emulator's
 * server-side apply: which field manager owns which field. A field path is
 * a list of tokens, `f:<field>` for an object field and `k:{"name":…}` for
 * an item of a list keyed by name (containers, ports, env), as in FieldsV1.
 * Other lists are atomic: owned as a whole. Status and the object's
 * identity (name, namespace, uid …) are never owned; labels and
 * annotations are, key by key.
 */
import type { KubeObject } from './types';

export type FieldPath = readonly string[];
type Json = Record<string, unknown>;

export interface ManagedFieldsEntry {
  manager: string;
  operation: 'Apply' | 'Update';
  apiVersion?: string;
  time?: string;
  fieldsType: 'FieldsV1';
  fieldsV1: Json;
}

export const isObject = (v: unknown): v is Json =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Lists whose items are objects with a string `name`: merged item by item. */
export const keyedByName = (v: unknown): v is Json[] =>
  Array.isArray(v) && v.length > 0 && v.every((i) => isObject(i) && typeof i.name === 'string');

const itemToken = (name: string) => `k:${JSON.stringify({ name })}`;
const nameOfToken = (token: string): string | undefined =>
  token.startsWith('k:') ? (JSON.parse(token.slice(2)) as { name?: string }).name : undefined;

export const pathKey = (path: FieldPath): string => JSON.stringify(path);
export const keyPath = (key: string): FieldPath => JSON.parse(key) as string[];

/** Every owned field path of an apply configuration (or object), as keys. */
export function fieldSet(obj: KubeObject): Set<string> {
  const out = new Set<string>();
  const walk = (value: unknown, path: string[]) => {
    if (isObject(value) && Object.keys(value).length > 0) {
      for (const [key, child] of Object.entries(value)) walk(child, [...path, `f:${key}`]);
      return;
    }
    if (keyedByName(value)) {
      for (const item of value) {
        const itemPath = [...path, itemToken(item.name as string)];
        out.add(pathKey(itemPath));
        for (const [key, child] of Object.entries(item)) walk(child, [...itemPath, `f:${key}`]);
      }
      return;
    }
    out.add(pathKey(path));
  };
  for (const [key, value] of Object.entries(obj)) {
    if (key === 'apiVersion' || key === 'kind' || key === 'status') continue;
    if (key === 'metadata') {
      const meta = value as Json;
      for (const part of ['labels', 'annotations'])
        if (isObject(meta[part]))
          for (const k of Object.keys(meta[part] as Json))
            out.add(pathKey(['f:metadata', `f:${part}`, `f:${k}`]));
      continue;
    }
    walk(value, [`f:${key}`]);
  }
  return out;
}

/** The value at a path, or undefined. */
export function valueAt(obj: unknown, path: FieldPath): unknown {
  let current: unknown = obj;
  for (const token of path) {
    const name = nameOfToken(token);
    if (name !== undefined) {
      if (!Array.isArray(current)) return undefined;
      current = current.find((i) => isObject(i) && i.name === name);
    } else {
      if (!isObject(current)) return undefined;
      current = current[token.slice(2)];
    }
  }
  return current;
}

/** Removes the value at a path (an object field or a keyed list item). */
export function removeAt(obj: unknown, path: FieldPath): void {
  const parent = valueAt(obj, path.slice(0, -1));
  const last = path[path.length - 1] ?? '';
  const name = nameOfToken(last);
  if (name !== undefined && Array.isArray(parent)) {
    const index = parent.findIndex((i) => isObject(i) && i.name === name);
    if (index !== -1) parent.splice(index, 1);
  } else if (isObject(parent)) delete parent[last.slice(2)];
}

/** Merges an apply configuration into the live object: objects field by field, keyed lists item by item. */
export function mergeApplied(live: unknown, config: unknown): unknown {
  if (isObject(config)) {
    const out: Json = isObject(live) ? { ...live } : {};
    for (const [key, value] of Object.entries(config)) out[key] = mergeApplied(out[key], value);
    return out;
  }
  if (keyedByName(config) && Array.isArray(live) && (live.length === 0 || keyedByName(live))) {
    const out = [...(live as Json[])];
    for (const item of config) {
      const index = out.findIndex((i) => i.name === item.name);
      if (index === -1) out.push(structuredClone(item));
      else out[index] = mergeApplied(out[index], item) as Json;
    }
    return out;
  }
  return structuredClone(config);
}

export function toFieldsV1(set: Iterable<string>): Json {
  const root: Json = {};
  for (const key of set) {
    let node = root;
    const path = keyPath(key);
    for (const token of path) {
      node[token] ??= {};
      node = node[token] as Json;
    }
    if (path[path.length - 1]?.startsWith('k:')) node['.'] = {};
  }
  return root;
}

export function fromFieldsV1(fields: unknown): Set<string> {
  const out = new Set<string>();
  const walk = (node: unknown, path: string[]) => {
    const entries = isObject(node) ? Object.entries(node) : [];
    if (entries.length === 0) {
      if (path.length) out.add(pathKey(path));
      return;
    }
    for (const [token, child] of entries) {
      if (token === '.') out.add(pathKey(path));
      else walk(child, [...path, token]);
    }
  };
  walk(fields, []);
  return out;
}

export function entriesOf(obj: KubeObject | undefined): ManagedFieldsEntry[] {
  const raw = (obj?.metadata as { managedFields?: unknown } | undefined)?.managedFields;
  return Array.isArray(raw) ? (raw as ManagedFieldsEntry[]) : [];
}

/** Does `set` own `path` or anything under it? */
export function ownsWithin(set: ReadonlySet<string>, path: FieldPath): boolean {
  const prefix = pathKey(path).slice(0, -1);
  for (const key of set) if (key === pathKey(path) || key.startsWith(`${prefix},`)) return true;
  return false;
}

/** `.spec.replicas` as kubectl prints conflicting fields. */
export function describePath(path: FieldPath): string {
  return path
    .map((t) => (t.startsWith('k:') ? `[name=${nameOfToken(t)}]` : `.${t.slice(2)}`))
    .join('');
}
