/**
 * Server-side apply (PATCH application/apply-patch+yaml) as the API server
 * does it, well enough to be honest about what edgetower relies on:
 * - it creates the object when missing and merges into it otherwise;
 * - each field manager owns the fields it applied (managedFields, FieldsV1);
 * - applying a different value to a field another manager owns is a 409
 *   conflict, unless `force=true`, which takes the field over;
 * - a field the manager applied before and omits now is removed, unless
 *   another manager owns it too;
 * - fields nobody applied (an HPA's replicas) are left as they are.
 * Ordinary writes (PUT, merge patch) take ownership of the fields they
 * change, so a later apply sees the conflict, as on a real cluster.
 */
import { isDeepStrictEqual } from 'node:util';
import {
  describePath,
  entriesOf,
  fieldSet,
  fromFieldsV1,
  keyPath,
  type ManagedFieldsEntry,
  mergeApplied,
  ownsWithin,
  removeAt,
  toFieldsV1,
  valueAt,
} from './managed-fields';
import { type KubeStatus, kubeStatus } from './status';
import type { KubeObject } from './types';

const timestamp = (now: Date) => now.toISOString().replace(/\.\d+Z$/, 'Z');

interface Owned {
  entry: ManagedFieldsEntry;
  fields: Set<string>;
}

const owned = (obj: KubeObject | undefined): Owned[] =>
  entriesOf(obj).map((entry) => ({ entry, fields: fromFieldsV1(entry.fieldsV1) }));

const entryOf = (o: Owned): ManagedFieldsEntry => ({ ...o.entry, fieldsV1: toFieldsV1(o.fields) });

export interface ApplyRequest {
  manager: string;
  force: boolean;
  now: Date;
}

/** The object after applying `config` (a body already checked to name this object), or a 409. */
export function serverSideApply(
  current: KubeObject | undefined,
  config: KubeObject,
  request: ApplyRequest,
): { object: KubeObject } | { status: KubeStatus } {
  const { status: _ignored, ...applied } = config;
  const configFields = fieldSet(applied as KubeObject);
  const managers = owned(current);
  const mine = managers.find(
    (m) => m.entry.manager === request.manager && m.entry.operation === 'Apply',
  );
  const others = managers.filter((m) => m !== mine);

  const conflicts: string[] = [];
  for (const key of configFields) {
    const path = keyPath(key);
    const before = valueAt(current, path);
    if (before === undefined || isDeepStrictEqual(before, valueAt(applied, path))) continue;
    for (const other of others)
      if (other.fields.has(key))
        conflicts.push(`conflict with "${other.entry.manager}": ${describePath(path)}`);
  }
  if (conflicts.length && !request.force)
    return {
      status: kubeStatus(
        409,
        'Conflict',
        `Apply failed with ${conflicts.length} conflict${conflicts.length > 1 ? 's' : ''}: ${conflicts.join('; ')}`,
        { causes: conflicts.map((message) => ({ reason: 'FieldManagerConflict', message })) },
      ),
    };
  // Forced (or agreeing): the applier owns these fields now, alone unless the others set the same value.
  for (const other of others)
    for (const key of configFields) {
      const path = keyPath(key);
      if (!isDeepStrictEqual(valueAt(current, path), valueAt(applied, path)))
        other.fields.delete(key);
    }

  const merged = mergeApplied(current ?? {}, applied) as KubeObject;
  // What this manager applied before and no longer does goes, unless someone else holds it.
  const dropped = [...(mine?.fields ?? [])]
    .filter((key) => !configFields.has(key))
    .map(keyPath)
    .sort((a, b) => b.length - a.length);
  for (const path of dropped)
    if (!others.some((o) => ownsWithin(o.fields, path))) removeAt(merged, path);

  const apiVersion = config.apiVersion;
  const entries = [
    ...others.filter((o) => o.fields.size > 0).map(entryOf),
    {
      manager: request.manager,
      operation: 'Apply' as const,
      apiVersion,
      time: timestamp(request.now),
      fieldsType: 'FieldsV1' as const,
      fieldsV1: toFieldsV1(configFields),
    },
  ];
  merged.metadata = { ...merged.metadata, managedFields: entries };
  return { object: merged };
}

/**
 * An ordinary write (PUT, merge patch) by `manager`: it owns the fields it
 * changed from now on, and no one else does. Objects never applied (no
 * managedFields) are left as they are.
 */
export function trackUpdate(
  before: KubeObject,
  after: KubeObject,
  manager: string,
  now: Date,
): KubeObject {
  const managers = owned(before);
  if (managers.length === 0) return after;
  const afterFields = fieldSet(after);
  const changed = new Set<string>();
  for (const key of afterFields)
    if (!isDeepStrictEqual(valueAt(before, keyPath(key)), valueAt(after, keyPath(key))))
      changed.add(key);
  let mine = managers.find((m) => m.entry.manager === manager && m.entry.operation === 'Update');
  for (const m of managers) {
    for (const key of [...m.fields]) {
      // Gone from the object: nobody owns it; changed by this writer: only it does.
      if (!afterFields.has(key) || (changed.has(key) && m !== mine)) m.fields.delete(key);
    }
  }
  if (changed.size) {
    if (!mine) {
      mine = {
        entry: {
          manager,
          operation: 'Update',
          apiVersion: after.apiVersion,
          fieldsType: 'FieldsV1',
          fieldsV1: {},
        },
        fields: new Set(),
      };
      managers.push(mine);
    }
    for (const key of changed) mine.fields.add(key);
    mine.entry = { ...mine.entry, time: timestamp(now) };
  }
  return {
    ...after,
    metadata: {
      ...after.metadata,
      managedFields: managers.filter((m) => m.fields.size > 0).map(entryOf),
    },
  };
}
