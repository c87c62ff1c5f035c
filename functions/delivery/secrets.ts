import type { KubeObject } from '../../protocol/delivery';
import { decryptSecret, encryptSecret } from '../crypto/secrets';

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

/** The manifests as the API shows them: Secrets by name and keys, never their values. */
export function redactManifests(stored: unknown[]): Record<string, unknown>[] {
  return stored.map((item) => {
    const object = item as Record<string, unknown> & Partial<SealedSecret>;
    if (typeof object.sealed !== 'string') return object;
    const { sealed: _sealed, ...rest } = object;
    return rest;
  });
}
