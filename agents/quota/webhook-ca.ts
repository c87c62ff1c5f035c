import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { type KubeClient, kubeErrorFrom } from '../kube';
import {
  createCertificateAuthority,
  issueServingCertificate,
  type KeyPairPem,
} from './certificates';

export const CA_SECRET_NAME = 'edgetower-agent-webhook-ca';
const CA_SUBJECT = 'edgetower-agent-webhook-ca';

interface SecretBody {
  data?: Record<string, string>;
}

const b64 = (text: string) => Buffer.from(text).toString('base64');
const unb64 = (text: string | undefined) => Buffer.from(text ?? '', 'base64').toString();

/**
 * The webhook's CA, shared by every replica through one Secret in the
 * agent's namespace: the first replica to start makes it, the others read
 * it, so the one caBundle in the webhook configuration verifies whichever
 * replica the API server reaches.
 */
export async function loadOrCreateCa(client: KubeClient, namespace: string): Promise<KeyPairPem> {
  const path = `/api/v1/namespaces/${encodeURIComponent(namespace)}/secrets`;
  for (let attempt = 0; attempt < 3; attempt++) {
    const res = await client.request({ path: `${path}/${CA_SECRET_NAME}` });
    if (res.status === 200) {
      const data = ((await res.json()) as SecretBody).data ?? {};
      const pair = { cert: unb64(data['tls.crt']), key: unb64(data['tls.key']) };
      if (pair.cert && pair.key) return pair;
      throw new Error(`Secret ${namespace}/${CA_SECRET_NAME} lacks tls.crt or tls.key`);
    }
    if (res.status !== 404) throw await kubeErrorFrom(res, 'get webhook CA secret');
    await res.text();
    const ca = createCertificateAuthority(CA_SUBJECT);
    const created = await client.request({
      method: 'POST',
      path,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        apiVersion: 'v1',
        kind: 'Secret',
        type: 'kubernetes.io/tls',
        metadata: {
          name: CA_SECRET_NAME,
          namespace,
          labels: { 'app.kubernetes.io/part-of': 'edgetower' },
        },
        data: { 'tls.crt': b64(ca.cert), 'tls.key': b64(ca.key) },
      }),
    });
    if (created.status === 201 || created.status === 200) {
      await created.text();
      return ca;
    }
    if (created.status !== 409) throw await kubeErrorFrom(created, 'create webhook CA secret');
    await created.text(); // another replica won the race: read theirs
  }
  throw new Error('could not agree on a webhook CA');
}

export interface ServingIdentity {
  /** PEM of the CA, the webhook configuration's caBundle. */
  caCert: string;
  cert: string;
  key: string;
}

/** A fresh serving certificate for `hosts`, signed by the shared CA. */
export function servingIdentity(ca: KeyPairPem, hosts: readonly string[]): ServingIdentity {
  const key: KeyObject = createPrivateKey(ca.key);
  const serving = issueServingCertificate(
    { cert: ca.cert, key, publicKey: createPublicKey(key), subject: CA_SUBJECT },
    hosts,
  );
  return { caCert: ca.cert, ...serving };
}
