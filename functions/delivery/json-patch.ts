/**
 * RFC 6902 JSON Patch over plain JSON values (add, remove, replace, move,
 * copy, test), applied to a copy. Throws PatchError with the failing
 * operation's reason; the caller turns it into a 400.
 */
export class PatchError extends Error {}

export interface PatchOperation {
  op: 'add' | 'remove' | 'replace' | 'move' | 'copy' | 'test';
  path: string;
  from?: string | undefined;
  value?: unknown;
}

type Container = Record<string, unknown> | unknown[];

function tokens(pointer: string): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) throw new PatchError(`"${pointer}" is not a JSON pointer`);
  return pointer
    .slice(1)
    .split('/')
    .map((t) => t.replaceAll('~1', '/').replaceAll('~0', '~'));
}

function childOf(value: unknown, token: string, pointer: string): unknown {
  if (Array.isArray(value)) {
    const index = arrayIndex(token, value.length - 1, pointer);
    return value[index];
  }
  if (value && typeof value === 'object' && Object.hasOwn(value, token))
    return (value as Record<string, unknown>)[token];
  throw new PatchError(`"${pointer}" does not exist`);
}

function arrayIndex(token: string, max: number, pointer: string): number {
  if (!/^(0|[1-9][0-9]*)$/.test(token)) throw new PatchError(`"${pointer}": bad array index`);
  const index = Number(token);
  if (index > max) throw new PatchError(`"${pointer}": index out of range`);
  return index;
}

function get(doc: unknown, pointer: string): unknown {
  let value = doc;
  for (const token of tokens(pointer)) value = childOf(value, token, pointer);
  return value;
}

function parentOf(doc: unknown, pointer: string): { parent: Container; key: string } {
  const path = tokens(pointer);
  const key = path.pop();
  if (key === undefined) throw new PatchError('the whole document cannot be patched');
  let parent = doc;
  for (const token of path) parent = childOf(parent, token, pointer);
  if (!parent || typeof parent !== 'object')
    throw new PatchError(`"${pointer}": parent is not a container`);
  return { parent: parent as Container, key };
}

function add(doc: unknown, pointer: string, value: unknown): void {
  const { parent, key } = parentOf(doc, pointer);
  if (Array.isArray(parent)) {
    const index = key === '-' ? parent.length : arrayIndex(key, parent.length, pointer);
    parent.splice(index, 0, value);
  } else parent[key] = value;
}

function remove(doc: unknown, pointer: string): unknown {
  const { parent, key } = parentOf(doc, pointer);
  if (Array.isArray(parent))
    return parent.splice(arrayIndex(key, parent.length - 1, pointer), 1)[0];
  if (!Object.hasOwn(parent, key)) throw new PatchError(`"${pointer}" does not exist`);
  const old = parent[key];
  delete parent[key];
  return old;
}

const clone = <T>(value: T): T => structuredClone(value);

export function applyPatch<T>(document: T, operations: PatchOperation[]): T {
  const doc = clone(document);
  for (const operation of operations) {
    const { op, path } = operation;
    switch (op) {
      case 'add':
        add(doc, path, clone(operation.value));
        break;
      case 'remove':
        remove(doc, path);
        break;
      case 'replace':
        remove(doc, path);
        add(doc, path, clone(operation.value));
        break;
      case 'move': {
        if (operation.from === undefined) throw new PatchError('move needs "from"');
        if (path.startsWith(`${operation.from}/`)) throw new PatchError('cannot move into itself');
        add(doc, path, remove(doc, operation.from));
        break;
      }
      case 'copy':
        if (operation.from === undefined) throw new PatchError('copy needs "from"');
        add(doc, path, clone(get(doc, operation.from)));
        break;
      case 'test':
        if (JSON.stringify(get(doc, path)) !== JSON.stringify(operation.value))
          throw new PatchError(`test failed at "${path}"`);
        break;
    }
  }
  return doc;
}
