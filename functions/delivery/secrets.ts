import type { KubeObject } from '../../protocol/delivery';
import { decryptSecret, encryptSecret } from '../crypto/secrets';
import { ApiError } from '../errors';

/**
 * What the API shows for every value of a stored Secret, and what a `PUT`
 * sends back to keep that stored value. `<` and `>` are not base64, so no
 * real `data` value is ever this string.
 */
export const REDACTED_VALUE = '<redacted>';

/**
 * Secrets in an app's manifests are stored sealed (AES-GCM, SECRETS_KEY):
 * a Secret keeps its apiVersion, kind, metadata and type in the clear and
 * its `data`/`stringData` in `sealed`. The API shows only `keys`.
 */
interface SealedSecret {
  apiVersion: string;
  kind: 'Secret';
  metadata: KubeObject['metadata'];
  type?: unknown;
  sealed: string;
  keys: string[];
}

const isSecret = (o: { kind: string; apiVersion: string }) =>
  o.kind === 'Secret' && o.apiVersion === 'v1';

const keysOf = (value: unknown): string[] =>
  value && typeof value === 'object' ? Object.keys(value) : [];

/** The manifests as stored: every Secret's payload sealed. */
export async function sealManifests(secretsKey: string | undefined, objects: KubeObject[]) {
  return Promise.all(
    objects.map(async (object): Promise<KubeObject | SealedSecret> => {
      if (!isSecret(object)) return object;
      const { data, stringData, ...rest } = object as KubeObject & {
        data?: unknown;
        stringData?: unknown;
      };
      const keys = [...new Set([...keysOf(data), ...keysOf(stringData)])].sort();
      const sealed = await encryptSecret(secretsKey, JSON.stringify({ data, stringData }));
      return { ...(rest as Omit<SealedSecret, 'sealed' | 'keys'>), kind: 'Secret', sealed, keys };
    }),
  );
}

/** The manifests as applied: Secrets unsealed. */
export async function unsealManifests(
  secretsKey: string | undefined,
  stored: unknown[],
): Promise<KubeObject[]> {
  return Promise.all(
    stored.map(async (item) => {
      const object = item as KubeObject & Partial<SealedSecret>;
      if (!isSecret(object) || typeof object.sealed !== 'string') return object;
      const { sealed, keys: _keys, ...rest } = object;
      const payload = JSON.parse(await decryptSecret(secretsKey, sealed)) as Record<
        string,
        unknown
      >;
      return { ...rest, ...payload } as KubeObject;
    }),
  );
}

/**
 * The manifests as the API shows them: a Secret by its metadata, `keys`, and
 * `data` with every key's value as REDACTED_VALUE (so the spec can be edited
 * and sent back as it is), never a value.
 */
export function redactManifests(stored: unknown[]): Record<string, unknown>[] {
  return stored.map((item) => {
    const object = item as Record<string, unknown> & Partial<SealedSecret>;
    if (typeof object.sealed !== 'string') return object;
    const { sealed: _sealed, ...rest } = object;
    const keys = Array.isArray(rest.keys) ? rest.keys : [];
    return { ...rest, data: Object.fromEntries(keys.map((k) => [k, REDACTED_VALUE])) };
  });
}

type Payload = { data?: Record<string, unknown>; stringData?: Record<string, unknown> };

const record = (value: unknown): Record<string, unknown> | undefined =>
  value && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;

const unknownRedacted = (path: string, name: string, key: string) =>
  new ApiError(
    400,
    `${path}: Secret "${name}" has no stored value for "${key}" to keep; send the value itself.`,
    { code: 'redacted_value_unknown', fields: [{ path, message: 'no stored value to keep' }] },
  );

/**
 * The redaction rule of `PUT`: in a Secret, a `data` or `stringData` value
 * that is exactly REDACTED_VALUE keeps the value the app's stored Secret of
 * the same name holds for that key (where it was: `data` or `stringData`);
 * any other value replaces it; a key left out is gone. A marker with no
 * stored value behind it (a new Secret or key, or any `POST`) is a 400
 * `redacted_value_unknown`: the marker is never delivered as a value.
 */
export async function keepRedactedValues(
  secretsKey: string | undefined,
  objects: KubeObject[],
  stored: unknown[],
): Promise<KubeObject[]> {
  const storedSecrets = new Map<string, SealedSecret>();
  for (const item of stored) {
    const object = item as Partial<SealedSecret> & { apiVersion: string; kind: string };
    if (isSecret(object) && typeof object.sealed === 'string' && object.metadata)
      storedSecrets.set(object.metadata.name, object as SealedSecret);
  }
  const payloads = new Map<string, Payload>();
  const payloadOf = async (name: string): Promise<Payload | undefined> => {
    const sealed = storedSecrets.get(name);
    if (!sealed) return undefined;
    let payload = payloads.get(name);
    if (!payload) {
      payload = JSON.parse(await decryptSecret(secretsKey, sealed.sealed)) as Payload;
      payloads.set(name, payload);
    }
    return payload;
  };
  const out: KubeObject[] = [];
  for (const [index, object] of objects.entries()) {
    if (!isSecret(object)) {
      out.push(object);
      continue;
    }
    const name = object.metadata.name;
    const data = { ...record((object as Payload).data) };
    const stringData = { ...record((object as Payload).stringData) };
    const fields = [
      ['data', data],
      ['stringData', stringData],
    ] as const;
    let changed = false;
    for (const [field, values] of fields)
      for (const [key, value] of Object.entries(values)) {
        if (value !== REDACTED_VALUE) continue;
        changed = true;
        const path = `manifests[${index}].${field}.${key}`;
        const payload = await payloadOf(name);
        delete values[key];
        const kept = payload?.data?.[key] ?? payload?.stringData?.[key];
        if (kept === undefined) throw unknownRedacted(path, name, key);
        if (payload?.data && key in payload.data) data[key] = kept;
        else stringData[key] = kept;
      }
    if (!changed) {
      out.push(object);
      continue;
    }
    const { data: _d, stringData: _s, ...rest } = object as KubeObject & Payload;
    out.push({
      ...rest,
      ...(Object.keys(data).length > 0 ? { data } : {}),
      ...(Object.keys(stringData).length > 0 ? { stringData } : {}),
    } as KubeObject);
  }
  return out;
}
