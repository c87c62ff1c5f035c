import { randomUUID } from 'node:crypto';
import https from 'node:https';
import { type KubeStatus, kubeStatus } from './status';
import type { KubeStore } from './store';
import type { KubeObject } from './types';

/**
 * Validating admission as the API server does it, for pod CREATE only:
 * every ValidatingWebhookConfiguration whose rules and namespaceSelector
 * match is called over HTTPS (clientConfig.url, verified against its
 * caBundle) with an AdmissionReview v1; a denial or, under failurePolicy
 * Fail, a failed call refuses the pod.
 */

interface Requirement {
  key: string;
  operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';
  values?: string[];
}
interface Webhook {
  name: string;
  failurePolicy?: 'Fail' | 'Ignore';
  timeoutSeconds?: number;
  clientConfig?: { url?: string; caBundle?: string };
  rules?: {
    operations?: string[];
    apiGroups?: string[];
    apiVersions?: string[];
    resources?: string[];
  }[];
  namespaceSelector?: { matchLabels?: Record<string, string>; matchExpressions?: Requirement[] };
}

/** One webhook call as the emulator made it: tests assert it happened and how it ended. */
export interface AdmissionCall {
  webhook: string;
  namespace: string;
  outcome: 'allowed' | 'denied' | 'failed';
  detail?: string;
}

const anyOf = (list: string[] | undefined, value: string) =>
  !list || list.includes('*') || list.includes(value);

function selects(selector: Webhook['namespaceSelector'], labels: Record<string, string>): boolean {
  for (const [key, value] of Object.entries(selector?.matchLabels ?? {}))
    if (labels[key] !== value) return false;
  return (selector?.matchExpressions ?? []).every((req) => {
    const has = Object.hasOwn(labels, req.key);
    switch (req.operator) {
      case 'In':
        return has && (req.values ?? []).includes(labels[req.key] ?? '');
      case 'NotIn':
        return !has || !(req.values ?? []).includes(labels[req.key] ?? '');
      case 'Exists':
        return has;
      case 'DoesNotExist':
        return !has;
      default:
        return false;
    }
  });
}

function call(
  hook: Webhook,
  review: unknown,
): Promise<{ allowed?: boolean; uid?: string; status?: { message?: string } }> {
  const url = new URL(hook.clientConfig?.url ?? '');
  const body = JSON.stringify(review);
  return new Promise((resolve, reject) => {
    const req = https.request(
      {
        method: 'POST',
        hostname: url.hostname,
        port: url.port,
        path: `${url.pathname}${url.search}`,
        ca: Buffer.from(hook.clientConfig?.caBundle ?? '', 'base64').toString(),
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
        timeout: (hook.timeoutSeconds ?? 10) * 1000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          try {
            if (res.statusCode !== 200) throw new Error(`status ${res.statusCode}`);
            const parsed = JSON.parse(Buffer.concat(chunks).toString()) as { response?: never };
            resolve(parsed.response ?? {});
          } catch (error) {
            reject(error);
          }
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error('context deadline exceeded')));
    req.on('error', reject);
    req.end(body);
  });
}

/** undefined when admitted; otherwise the Status the create fails with. */
export async function admitPodCreate(
  store: KubeStore,
  pod: KubeObject,
  user: string,
  calls: AdmissionCall[],
): Promise<KubeStatus | undefined> {
  const namespace = pod.metadata.namespace ?? '';
  const labels = store.get('namespaces', undefined, namespace)?.metadata.labels ?? {};
  for (const config of store.list('validatingwebhookconfigurations')) {
    for (const hook of (config as { webhooks?: Webhook[] }).webhooks ?? []) {
      const ruled = (hook.rules ?? []).some(
        (r) =>
          anyOf(r.operations, 'CREATE') &&
          anyOf(r.apiGroups, '') &&
          anyOf(r.apiVersions, 'v1') &&
          anyOf(r.resources, 'pods'),
      );
      if (!ruled || !selects(hook.namespaceSelector, labels)) continue;
      const uid = randomUUID();
      const review = {
        apiVersion: 'admission.k8s.io/v1',
        kind: 'AdmissionReview',
        request: {
          uid,
          kind: { group: '', version: 'v1', kind: 'Pod' },
          resource: { group: '', version: 'v1', resource: 'pods' },
          operation: 'CREATE',
          namespace,
          name: pod.metadata.name ?? '',
          object: pod,
          userInfo: { username: user },
          dryRun: false,
        },
      };
      try {
        const response = await call(hook, review);
        if (response.uid !== uid) throw new Error('response uid does not match the request');
        if (response.allowed === true) {
          calls.push({ webhook: hook.name, namespace, outcome: 'allowed' });
          continue;
        }
        const message = response.status?.message ?? '';
        calls.push({ webhook: hook.name, namespace, outcome: 'denied', detail: message });
        return kubeStatus(
          403,
          'Forbidden',
          `admission webhook "${hook.name}" denied the request: ${message}`,
        );
      } catch (error) {
        const detail = error instanceof Error ? error.message : String(error);
        calls.push({ webhook: hook.name, namespace, outcome: 'failed', detail });
        if (hook.failurePolicy === 'Ignore') continue;
        return kubeStatus(
          500,
          'InternalError',
          `Internal error occurred: failed calling webhook "${hook.name}": ${detail}`,
        );
      }
    }
  }
  return undefined;
}
