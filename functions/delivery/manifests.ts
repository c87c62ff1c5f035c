import { parseAllDocuments } from 'yaml';
import type { KubeObject } from '../../protocol/delivery';
import { kubeObject } from '../../protocol/delivery';
import { ApiError, badRequest } from '../errors';

/** At most this many bytes of manifests per app (as JSON), like a large ConfigMap bundle. */
export const MAX_MANIFEST_BYTES = 1024 * 1024;
const MAX_OBJECTS = 1000;

/**
 * Kinds Kubernetes serves cluster-wide. An app lives in one namespace, so
 * these are refused up front; a custom resource is taken as namespaced (the
 * cluster says otherwise when it is applied, and the agent reports it).
 */
const clusterScopedKinds = new Set([
  'Namespace',
  'Node',
  'PersistentVolume',
  'ClusterRole',
  'ClusterRoleBinding',
  'CustomResourceDefinition',
  'StorageClass',
  'PriorityClass',
  'IngressClass',
  'RuntimeClass',
  'CSIDriver',
  'CSINode',
  'VolumeAttachment',
  'ValidatingWebhookConfiguration',
  'MutatingWebhookConfiguration',
  'ValidatingAdmissionPolicy',
  'ValidatingAdmissionPolicyBinding',
  'APIService',
  'CertificateSigningRequest',
  'ComponentStatus',
  'FlowSchema',
  'PriorityLevelConfiguration',
  'PodSecurityPolicy',
  'ClusterIssuer',
]);

const tooLarge = () =>
  new ApiError(413, `Manifests are larger than ${MAX_MANIFEST_BYTES} bytes.`, {
    code: 'manifests_too_large',
  });

/**
 * Which document of a multi-document stream holds 0-based `line`: the
 * `---` separators before it (one opening the stream starts document 0).
 */
function documentAt(text: string, line: number): number {
  const lines = text.split(/\r?\n/).slice(0, line + 1);
  const separators = lines.map((l, i) => (/^---(\s|$)/.test(l) ? i : -1)).filter((i) => i >= 0);
  const opening = lines.findIndex((l) => l.trim() !== '' && !l.trimStart().startsWith('#'));
  const leading = separators[0] !== undefined && separators[0] === opening ? 1 : 0;
  return Math.max(0, separators.length - leading);
}

/** Anchors/aliases are allowed, but few: a "billion laughs" document is refused while parsing. */
const MAX_ALIAS_COUNT = 50;

/** The 0-based line of a character offset. */
const lineAt = (text: string, offset: number) => text.slice(0, offset).split('\n').length - 1;

/** The 400 for a broken document: its index (by `---` separators) and 0-based line. */
function invalidYaml(text: string, line: number, reason: string): ApiError {
  const index = documentAt(text, line);
  return new ApiError(
    400,
    `manifests: YAML document ${index} is broken at line ${line + 1}: ${reason}`,
    {
      code: 'invalid_yaml',
      fields: [{ path: `manifests[${index}]`, message: `line ${line + 1}: ${reason}` }],
    },
  );
}

/**
 * Parses a multi-document YAML string (the `yaml` package, YAML 1.2 core
 * schema: no timestamps or other types JSON cannot carry; duplicate keys
 * refused); a broken document is a 400 naming its index and line.
 */
function parseYaml(text: string): unknown[] {
  const parsed = parseAllDocuments(text, { uniqueKeys: true, prettyErrors: false });
  const documents = Array.isArray(parsed) ? parsed : [];
  const values: unknown[] = [];
  for (const doc of documents) {
    const [error] = doc.errors;
    if (error) {
      const line = lineAt(text, error.pos[0]);
      throw invalidYaml(text, line, error.message.split('\n')[0] ?? error.code);
    }
    try {
      values.push(doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT }));
    } catch (error) {
      // Too many aliases (or an alias to nothing): the document's own start names it.
      throw invalidYaml(
        text,
        lineAt(text, doc.range[0]),
        error instanceof Error ? error.message : String(error),
      );
    }
  }
  // Empty documents (a trailing `---`) are nothing to apply.
  return values.filter((doc) => doc !== null && doc !== undefined);
}

/**
 * The app's manifests as objects, checked: each a Kubernetes object
 * (apiVersion, kind, metadata.name), namespaced, in `namespace` or without
 * one (then put in it), names unique per kind, 1 MiB at most.
 */
export function parseManifests(input: string | unknown[], namespace: string): KubeObject[] {
  if (typeof input === 'string' && new TextEncoder().encode(input).byteLength > MAX_MANIFEST_BYTES)
    throw tooLarge();
  const documents = typeof input === 'string' ? parseYaml(input) : input;
  if (documents.length === 0) throw badRequest('manifests: at least one object is required.');
  if (documents.length > MAX_OBJECTS)
    throw badRequest(`manifests: at most ${MAX_OBJECTS} objects.`);
  const seen = new Set<string>();
  const objects = documents.map((doc, index) => {
    const parsed = kubeObject.safeParse(doc);
    if (!parsed.success)
      throw badRequest(
        `manifests[${index}] is not a Kubernetes object (apiVersion, kind and metadata.name are required).`,
        [{ path: `manifests[${index}]`, message: parsed.error.issues[0]?.message ?? 'invalid' }],
      );
    const object = parsed.data;
    if (clusterScopedKinds.has(object.kind) || object.kind.endsWith('List'))
      throw new ApiError(
        400,
        `manifests[${index}]: ${object.kind} is cluster-scoped; an app holds namespaced objects only.`,
        {
          code: 'cluster_scoped_kind',
          fields: [{ path: `manifests[${index}].kind`, message: 'cluster-scoped' }],
        },
      );
    const own = (object.metadata as { namespace?: unknown }).namespace;
    if (own !== undefined && own !== namespace)
      throw new ApiError(
        400,
        `manifests[${index}]: metadata.namespace must be absent or "${namespace}" (the app's namespace).`,
        {
          code: 'other_namespace',
          fields: [
            { path: `manifests[${index}].metadata.namespace`, message: `not "${namespace}"` },
          ],
        },
      );
    const key = `${object.apiVersion.split('/')[0]}/${object.kind}/${object.metadata.name}`;
    if (seen.has(key))
      throw badRequest(
        `manifests[${index}]: ${object.kind} "${object.metadata.name}" appears twice.`,
      );
    seen.add(key);
    return { ...object, metadata: { ...object.metadata, namespace } } as KubeObject;
  });
  if (new TextEncoder().encode(JSON.stringify(objects)).byteLength > MAX_MANIFEST_BYTES)
    throw tooLarge();
  return objects;
}
