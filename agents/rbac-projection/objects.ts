/**
 * The RBAC objects the agent keeps for edgetower, in one comparable form:
 * what the edge's projection asks for (desired) and what the cluster holds
 * (observed, through label-selected informers) both become `RbacRecord`s
 * whose `fingerprint` covers every field edgetower owns.
 */
import { createHash } from 'node:crypto';
import type { KubePolicyRule, ProjectedBinding } from '../../functions/projection/frames';

export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';
export const MANAGED_BY = 'edgetower';
export const MANAGED_SELECTOR = `${MANAGED_BY_LABEL}=${MANAGED_BY}`;
/** On a projected Role: edge resources of the custom role that mean nothing in a cluster. */
export const EDGE_ONLY_ANNOTATION = 'edgetower.io/edge-only-resources';
/** On a projected RoleBinding: the edge binding it comes from (workspace or namespace level). */
export const SOURCE_ANNOTATION = 'edgetower.io/projected-from';

export const RBAC_GROUP = 'rbac.authorization.k8s.io';
export type RbacKind = 'RoleBinding' | 'Role';

export interface RoleRef {
  apiGroup: string;
  kind: string;
  name: string;
}
export interface Subject {
  apiGroup?: string;
  kind: string;
  name: string;
  namespace?: string;
}

/** One RoleBinding or Role, desired or observed. */
export interface RbacRecord {
  kind: RbacKind;
  namespace: string;
  name: string;
  /** Canonical JSON of the owned content (roleRef, subjects, rules, annotations). */
  fingerprint: string;
  /** Observed objects only. */
  resourceVersion?: string;
  /** Observed objects only: carries the managed-by label. */
  managed?: boolean;
  /** The object to write (desired only). */
  body?: Record<string, unknown>;
  roleRef?: RoleRef;
}

export const recordKey = (kind: RbacKind, namespace: string, name: string) =>
  `${kind}/${namespace}/${name}`;

const subjectHashes = new Map<string, string>();
/** Ten hex digits of SHA-256 over `Kind:name`: short, stable, collision-safe for names. */
export function subjectHash(kind: string, name: string): string {
  const key = `${kind}:${name}`;
  let hash = subjectHashes.get(key);
  if (hash === undefined) {
    hash = createHash('sha256').update(key).digest('hex').slice(0, 10);
    if (subjectHashes.size > 100_000) subjectHashes.clear();
    subjectHashes.set(key, hash);
  }
  return hash;
}

/** `edgetower-custom-<role>`: the Role a custom edgetower role becomes in each namespace it is bound in. */
export const customRoleName = (role: string) => `edgetower-custom-${role}`;

/**
 * `edgetower-<admin|edit|view>-<h>` or `edgetower-custom-<role>-<h>`, h from
 * the subject: one RoleBinding per (role, subject), so a change to one edge
 * binding touches one object, a subject list never grows with a workspace,
 * and the same grant reached twice (workspace and namespace) is one object.
 */
export function bindingName(binding: ProjectedBinding): string {
  const role =
    binding.roleRef.kind === 'ClusterRole'
      ? binding.roleRef.name
      : `custom-${binding.roleRef.name}`;
  return `edgetower-${role}-${subjectHash(binding.subject.kind, binding.subject.name)}`;
}

const sortedRules = (rules: readonly KubePolicyRule[]) =>
  rules.map((r) => ({
    apiGroups: [...r.apiGroups],
    resources: [...r.resources],
    verbs: [...r.verbs],
  }));

function bindingFingerprint(
  roleRef: RoleRef,
  subjects: readonly Subject[],
  source: string,
): string {
  return JSON.stringify({
    roleRef: { apiGroup: roleRef.apiGroup, kind: roleRef.kind, name: roleRef.name },
    subjects: subjects.map((s) => ({
      apiGroup: s.apiGroup ?? '',
      kind: s.kind,
      name: s.name,
      ...(s.namespace ? { namespace: s.namespace } : {}),
    })),
    source,
  });
}

function roleFingerprint(rules: readonly unknown[], edgeOnly: string): string {
  return JSON.stringify({ rules, edgeOnly });
}

const metadata = (namespace: string, name: string, annotations: Record<string, string>) => ({
  name,
  namespace,
  labels: { [MANAGED_BY_LABEL]: MANAGED_BY },
  annotations,
});

/** The desired RoleBinding for `binding` in `namespace`; `source` says where at the edge it comes from. */
export function desiredBinding(
  namespace: string,
  binding: ProjectedBinding,
  source: string,
): RbacRecord {
  const name = bindingName(binding);
  const roleRef: RoleRef = {
    apiGroup: RBAC_GROUP,
    kind: binding.roleRef.kind,
    name:
      binding.roleRef.kind === 'ClusterRole'
        ? binding.roleRef.name
        : customRoleName(binding.roleRef.name),
  };
  const subjects: Subject[] = [
    { apiGroup: RBAC_GROUP, kind: binding.subject.kind, name: binding.subject.name },
  ];
  return {
    kind: 'RoleBinding',
    namespace,
    name,
    fingerprint: bindingFingerprint(roleRef, subjects, source),
    roleRef,
    body: {
      apiVersion: `${RBAC_GROUP}/v1`,
      kind: 'RoleBinding',
      metadata: metadata(namespace, name, { [SOURCE_ANNOTATION]: source }),
      roleRef,
      subjects,
    },
  };
}

/** The desired Role of a custom edgetower role in `namespace`. */
export function desiredRole(
  namespace: string,
  role: { name: string; rules: KubePolicyRule[]; edgeOnly: string[] },
): RbacRecord {
  const name = customRoleName(role.name);
  const rules = sortedRules(role.rules);
  const edgeOnly = role.edgeOnly.join(',');
  return {
    kind: 'Role',
    namespace,
    name,
    fingerprint: roleFingerprint(rules, edgeOnly),
    body: {
      apiVersion: `${RBAC_GROUP}/v1`,
      kind: 'Role',
      metadata: metadata(namespace, name, edgeOnly ? { [EDGE_ONLY_ANNOTATION]: edgeOnly } : {}),
      rules,
    },
  };
}

type Json = Record<string, unknown>;
const obj = (v: unknown): Json =>
  v && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : {};
const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const strs = (v: unknown): string[] => (Array.isArray(v) ? v.map(str) : []);

/** The observed form of a RoleBinding or Role from the API server (informer projection). */
export function observedRecord(kind: RbacKind, raw: unknown): RbacRecord | undefined {
  const meta = obj(obj(raw).metadata);
  const name = str(meta.name);
  const namespace = str(meta.namespace);
  if (!name || !namespace) return undefined;
  const annotations = obj(meta.annotations);
  const base = {
    kind,
    namespace,
    name,
    resourceVersion: str(meta.resourceVersion),
    managed: obj(meta.labels)[MANAGED_BY_LABEL] === MANAGED_BY,
  };
  if (kind === 'RoleBinding') {
    const ref = obj(obj(raw).roleRef);
    const roleRef: RoleRef = {
      apiGroup: str(ref.apiGroup),
      kind: str(ref.kind),
      name: str(ref.name),
    };
    const subjects = (Array.isArray(obj(raw).subjects) ? (obj(raw).subjects as unknown[]) : []).map(
      (s): Subject => {
        const subject = obj(s);
        return {
          apiGroup: str(subject.apiGroup),
          kind: str(subject.kind),
          name: str(subject.name),
          ...(str(subject.namespace) ? { namespace: str(subject.namespace) } : {}),
        };
      },
    );
    return {
      ...base,
      roleRef,
      fingerprint: bindingFingerprint(roleRef, subjects, str(annotations[SOURCE_ANNOTATION])),
    };
  }
  const rules = (Array.isArray(obj(raw).rules) ? (obj(raw).rules as unknown[]) : []).map((r) => {
    const rule = obj(r);
    const out: Json = {
      apiGroups: strs(rule.apiGroups),
      resources: strs(rule.resources),
      verbs: strs(rule.verbs),
    };
    if (Array.isArray(rule.resourceNames)) out.resourceNames = strs(rule.resourceNames);
    if (Array.isArray(rule.nonResourceURLs)) out.nonResourceURLs = strs(rule.nonResourceURLs);
    return out;
  });
  return { ...base, fingerprint: roleFingerprint(rules, str(annotations[EDGE_ONLY_ANNOTATION])) };
}
