import { parseAllDocuments } from 'yaml';
import { badRequest } from '../../errors';

/**
 * Finds KubeSphere identity-provider entries in what an admin pastes from a
 * KubeSphere cluster, YAML or JSON (JSON is YAML):
 *
 * - `kubesphere.yaml` of the kubesphere-config ConfigMap, or any part of it
 *   down to the list: `authentication.oauthOptions.identityProviders`,
 *   `oauthOptions.identityProviders`, `identityProviders`, or the bare list;
 * - the ConfigMap itself (`kubectl get cm kubesphere-config -o yaml`);
 * - ks-installer's ClusterConfiguration (`spec.authentication.oauthOptions`);
 * - KubeSphere 4's per-provider Secrets (type
 *   `config.kubesphere.io/identityprovider`, key `configuration.yaml`), alone
 *   or as a `kind: List` (`kubectl get secret -l ... -o yaml`).
 */

export interface KubeSphereEntry {
  /** Where the entry is in the submitted document, for error messages. */
  path: string;
  value: unknown;
}

/** Anchors/aliases are allowed, but few: a "billion laughs" document is refused while parsing. */
const maxAliasCount = 50;

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function parseYaml(text: string, where: string): unknown[] {
  const documents = parseAllDocuments(text, { uniqueKeys: true, prettyErrors: false });
  const list = Array.isArray(documents) ? documents : [documents];
  const values: unknown[] = [];
  for (const doc of list) {
    const [error] = doc.errors;
    if (error) {
      const line = error.linePos?.[0]?.line;
      throw badRequest(
        `${where} is not valid YAML or JSON${line ? ` (line ${line})` : ''}: ${error.message.split('\n')[0]}`,
        [{ path: where, message: error.code }],
      );
    }
    try {
      values.push(doc.toJS({ maxAliasCount }));
    } catch (error) {
      throw badRequest(`${where}: ${error instanceof Error ? error.message : String(error)}`, [
        { path: where, message: 'cannot be read' },
      ]);
    }
  }
  return values.filter((v) => v !== null && v !== undefined);
}

const listPaths = [
  ['authentication', 'oauthOptions', 'identityProviders'],
  ['spec', 'authentication', 'oauthOptions', 'identityProviders'],
  ['oauthOptions', 'identityProviders'],
  ['identityProviders'],
] as const;

function decodeBase64(text: string): string | undefined {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(
      Uint8Array.from(atob(text.replace(/\s+/g, '')), (c) => c.charCodeAt(0)),
    );
  } catch {
    return undefined;
  }
}

function fromSecret(secret: Record<string, unknown>, base: string): KubeSphereEntry[] {
  const stringData = isObject(secret.stringData)
    ? secret.stringData['configuration.yaml']
    : undefined;
  const data = isObject(secret.data) ? secret.data['configuration.yaml'] : undefined;
  const where = `${base}${typeof stringData === 'string' ? 'stringData' : 'data'}.configuration.yaml`;
  const text =
    typeof stringData === 'string'
      ? stringData
      : typeof data === 'string'
        ? decodeBase64(data)
        : undefined;
  if (text === undefined)
    throw badRequest(
      `${where}: a KubeSphere identity provider Secret carries its configuration there.`,
      [{ path: where, message: 'missing or not base64' }],
    );
  return parseYaml(text, where).map((value) => ({ path: where, value }));
}

function locate(doc: unknown, base: string): KubeSphereEntry[] | undefined {
  if (Array.isArray(doc)) return doc.map((value, i) => ({ path: `${base}[${i}]`, value }));
  if (!isObject(doc)) return undefined;
  if (doc.kind === 'ConfigMap' && isObject(doc.data)) {
    const inner = doc.data['kubesphere.yaml'];
    if (typeof inner !== 'string') return undefined;
    const where = 'data.kubesphere.yaml';
    return parseYaml(inner, where).flatMap((d) => locate(d, `${where}:`) ?? []);
  }
  if (doc.kind === 'Secret') return fromSecret(doc, base);
  if (Array.isArray(doc.items))
    return doc.items.flatMap((item, i) => locate(item, `${base}items[${i}].`) ?? []);
  for (const path of listPaths) {
    let node: unknown = doc;
    for (const key of path) node = isObject(node) ? node[key] : undefined;
    if (Array.isArray(node)) return locate(node, `${base}${path.join('.')}`);
  }
  // A single KubeSphere provider entry (`{name, type, provider}`) as KubeSphere 4 stores one.
  if (typeof doc.type === 'string' && 'provider' in doc)
    return [{ path: base.replace(/[.:]$/, '') || '(body)', value: doc }];
  return undefined;
}

/** The entries of the submitted text, in document order; 400 when there are none. */
export function kubeSphereEntries(text: string): KubeSphereEntry[] {
  const entries = parseYaml(text, '(body)').flatMap((doc) => locate(doc, '') ?? []);
  if (entries.length === 0)
    throw badRequest(
      'No KubeSphere identity providers found: send the kubesphere-config (or its authentication.oauthOptions.identityProviders list) as YAML or JSON.',
      [{ path: '(body)', message: 'no authentication.oauthOptions.identityProviders list' }],
    );
  return entries;
}
