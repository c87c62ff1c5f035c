import path from 'node:path';
import { expect } from 'vitest';
import { applyAgentManifest } from './agent-manifest-apply';
import {
  type KubeEmulator,
  type KubeEmulatorOptions,
  startKubeEmulator,
  writeKubeconfig,
} from './kube-emulator';
import { testSecrets } from './wrangler-dev';

/**
 * The set-up every e2e file against `wrangler dev` and a real agent repeats:
 * an emulated cluster ready for the agent, the admin's sign-in, API calls
 * as the admin and a cluster's registration. (The dashboard's fleet in
 * browser-fleet.ts builds a whole scene on top and is used outside vitest.)
 */

/**
 * Starts the Kubernetes API emulator with `options`, applies the agent
 * manifest's namespace and RBAC (as `kubectl apply` of it would: the
 * namespace holds the agents' Lease, the placement ClusterRole lets the
 * edge place namespaces) and writes a kubeconfig for the agent into `workDir`.
 */
export async function startAgentCluster(
  workDir: string,
  options: KubeEmulatorOptions = {},
): Promise<{ kube: KubeEmulator; kubeconfig: string }> {
  const kube = await startKubeEmulator(options);
  applyAgentManifest(kube);
  const kubeconfig = path.join(workDir, 'kubeconfig');
  await writeKubeconfig(kubeconfig, { url: kube.url, token: kube.token });
  return { kube, kubeconfig };
}

/** Signs in as the seeded admin (password grant) and returns the access token. */
export async function signInAdmin(edgeUrl: string): Promise<string> {
  const login = await fetch(`${edgeUrl}/oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'password',
      username: 'admin',
      password: testSecrets.ADMIN_PASSWORD,
    }),
  });
  expect(login.status).toBe(200);
  return ((await login.json()) as { access_token: string }).access_token;
}

/** A JSON API call at the edge with a bearer token. */
export const bearerFetch = (edgeUrl: string, token: string, p: string, init: RequestInit = {}) =>
  fetch(`${edgeUrl}${p}`, {
    ...init,
    headers: {
      authorization: `Bearer ${token}`,
      'content-type': 'application/json',
      ...init.headers,
    },
  });

/** Registers a cluster through `api` (as an admin) and returns its join token. */
export async function registerCluster(
  api: (p: string, init?: RequestInit) => Promise<Response>,
  cluster: { name: string; labels?: Record<string, string> },
): Promise<string> {
  const reg = await api('/api/v1/clusters', { method: 'POST', body: JSON.stringify(cluster) });
  expect(reg.status).toBe(201);
  return ((await reg.json()) as { joinToken: string }).joinToken;
}

/**
 * Grants `clusters` to `workspace` through the API, as a platform admin
 * does (`PATCH /api/v1/workspaces/:ws {clusters}` replaces the granted set):
 * namespaces are placed only in granted clusters.
 */
export async function grantClusters(
  api: (p: string, init?: RequestInit) => Promise<Response>,
  workspace: string,
  clusters: string[],
): Promise<void> {
  const res = await api(`/api/v1/workspaces/${workspace}`, {
    method: 'PATCH',
    body: JSON.stringify({ clusters }),
  });
  expect(res.status).toBe(200);
}

/**
 * Polls `probe` (a real process's effect: they run on their own clocks)
 * every `intervalMs` until it returns a value other than undefined; a
 * probe that throws counts as not yet. After `timeoutMs` it calls
 * `onTimeout` (to print the processes' output) and fails naming `what`.
 */
export async function eventually<T>(
  probe: () => Promise<T | undefined>,
  timeoutMs: number,
  what: string,
  options: { intervalMs?: number; onTimeout?: () => void } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) {
      options.onTimeout?.();
      throw new Error(`timed out waiting for ${what}`);
    }
    await new Promise((r) => setTimeout(r, options.intervalMs ?? 250));
  }
}
