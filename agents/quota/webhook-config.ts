import { WORKSPACE_LABEL } from '../../protocol/inventory';
import { type KubeClient, kubeErrorFrom } from '../kube';
import { WEBHOOK_PATH } from './webhook-server';

export const WEBHOOK_CONFIG_NAME = 'edgetower-agent-quotas';
const PATH = '/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations';

export type FailurePolicy = 'Fail' | 'Ignore';

/** How the API server reaches the webhook: a URL (out of cluster, tests) or the agent's Service. */
export type WebhookTarget =
  | { url: string }
  | { service: { namespace: string; name: string; port: number } };

export interface WebhookConfigSpec {
  target: WebhookTarget;
  caBundle: string;
  failurePolicy: FailurePolicy;
  /** Workspaces with a quota here: only their namespaces are sent to the webhook. */
  workspaces: readonly string[];
}

/**
 * Matches the namespaces of the listed workspaces; with none, a selector
 * no namespace can satisfy, so no pod waits on the webhook for nothing.
 */
function namespaceSelector(workspaces: readonly string[]) {
  if (workspaces.length > 0)
    return {
      matchExpressions: [{ key: WORKSPACE_LABEL, operator: 'In', values: [...workspaces] }],
    };
  return {
    matchExpressions: [
      { key: WORKSPACE_LABEL, operator: 'Exists' },
      { key: WORKSPACE_LABEL, operator: 'DoesNotExist' },
    ],
  };
}

export function webhookConfiguration(spec: WebhookConfigSpec) {
  const caBundle = Buffer.from(spec.caBundle).toString('base64');
  const clientConfig =
    'url' in spec.target
      ? { url: spec.target.url, caBundle }
      : { service: { ...spec.target.service, path: WEBHOOK_PATH }, caBundle };
  return {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingWebhookConfiguration',
    metadata: {
      name: WEBHOOK_CONFIG_NAME,
      labels: { 'app.kubernetes.io/part-of': 'edgetower' },
    },
    webhooks: [
      {
        name: 'workspace-quotas.edgetower.io',
        admissionReviewVersions: ['v1'],
        sideEffects: 'None',
        failurePolicy: spec.failurePolicy,
        timeoutSeconds: 5,
        clientConfig,
        rules: [
          {
            operations: ['CREATE'],
            apiGroups: [''],
            apiVersions: ['v1'],
            resources: ['pods'],
            scope: 'Namespaced',
          },
        ],
        namespaceSelector: namespaceSelector(spec.workspaces),
      },
    ],
  };
}

/** Creates or replaces the configuration; the leader calls it whenever the spec changed. */
export async function applyWebhookConfiguration(
  client: KubeClient,
  spec: WebhookConfigSpec,
): Promise<void> {
  const desired = webhookConfiguration(spec);
  const current = await client.request({ path: `${PATH}/${WEBHOOK_CONFIG_NAME}` });
  const headers = { 'content-type': 'application/json' };
  if (current.status === 404) {
    await current.text();
    const created = await client.request({
      method: 'POST',
      path: PATH,
      headers,
      body: JSON.stringify(desired),
    });
    if (created.status !== 201 && created.status !== 200)
      throw await kubeErrorFrom(created, 'create ValidatingWebhookConfiguration');
    await created.text();
    return;
  }
  if (current.status !== 200)
    throw await kubeErrorFrom(current, 'get ValidatingWebhookConfiguration');
  const existing = (await current.json()) as { metadata?: { resourceVersion?: string } };
  const updated = await client.request({
    method: 'PUT',
    path: `${PATH}/${WEBHOOK_CONFIG_NAME}`,
    headers,
    body: JSON.stringify({
      ...desired,
      metadata: { ...desired.metadata, resourceVersion: existing.metadata?.resourceVersion },
    }),
  });
  if (updated.status !== 200)
    throw await kubeErrorFrom(updated, 'update ValidatingWebhookConfiguration');
  await updated.text();
}
