import { createRoute, z } from '@hono/zod-openapi';
import type { Principal } from '../auth/principal';
import type { Env } from '../env';
import { ApiError } from '../errors';
import { bearerAuth, createRouter } from '../openapi';
import { tunnelSettings } from '../tunnel/settings';
import { type ClusterAccess, clusterAccess, impersonationFor, requireClusterWide } from './access';
import { parseCloudcoreConfig } from './cloudcore-config';
import { keadmJoinCommand, labelsSupported } from './keadm-join';
import { clusterNameParam } from './schemas';
import { proxyThroughTunnel } from './tunnel-stub';

/** Where KubeEdge installs cloudcore (keadm init's default). */
const KUBEEDGE_NAMESPACE = 'kubeedge';

const joinBody = z
  .strictObject({
    nodeName: z
      .string()
      .max(253)
      .regex(
        /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/,
        'a DNS-1123 subdomain',
      ),
    /** Accepted for older clients; upstream keadm has no flag for it (edgecore finds its address). */
    nodeIp: z.union([z.ipv4(), z.ipv6()]).optional(),
    /** The node's CRI socket, e.g. unix:///run/containerd/containerd.sock. */
    remoteRuntimeEndpoint: z
      .string()
      .max(256)
      .regex(/^(unix|tcp|npipe):\/\/[A-Za-z0-9._/:-]+$/, 'a unix://, tcp:// or npipe:// endpoint')
      .optional(),
    /** Node labels keadm sets at join (KubeEdge 1.8 and later). */
    labels: z
      .record(
        z
          .string()
          .max(253)
          .regex(/^([a-z0-9]([-a-z0-9.]*[a-z0-9])?\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/),
        z
          .string()
          .max(63)
          .regex(/^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$/),
      )
      .optional(),
  })
  .openapi('EdgeJoinRequest');

const joinReply = z
  .object({
    command: z.string(),
    cloudcore: z.object({ address: z.string(), websocketPort: z.number(), certPort: z.number() }),
    kubeedgeVersion: z.string().nullable(),
  })
  .openapi('EdgeJoinCommand');

const route = createRoute({
  method: 'post',
  path: '/api/v1/clusters/{c}/edge-nodes/join-command',
  tags: ['clusters'],
  summary: 'The keadm command that joins an edge node to this cluster (KubeEdge)',
  security: bearerAuth,
  request: {
    params: clusterNameParam,
    body: { required: true, content: { 'application/json': { schema: joinBody } } },
  },
  responses: {
    200: {
      description: 'Run it on the edge node.',
      content: { 'application/json': { schema: joinReply } },
    },
  },
});

/** A GET into the cluster as the caller, parsed as JSON; 404 becomes `undefined`. */
async function kubeGet(
  env: Env,
  principal: Principal,
  access: ClusterAccess,
  path: string,
): Promise<unknown | undefined> {
  const response = await proxyThroughTunnel(
    env,
    access.cluster.id,
    {
      target: 'kube',
      method: 'GET',
      path,
      headers: [['accept', 'application/json']],
      impersonate: impersonationFor(principal, access, tunnelSettings(env).kubeAdminGroup),
    },
    null,
  );
  if (response.status === 404) {
    await response.body?.cancel();
    return undefined;
  }
  if (!response.ok) {
    await response.body?.cancel();
    throw new ApiError(502, `The cluster answered ${response.status} for ${path}.`);
  }
  return response.json();
}

// Values that end up in a shell command: nothing but what KubeEdge itself produces.
const safeToken = /^[A-Za-z0-9._-]{16,4096}$/;
const safeAddress = /^[A-Za-z0-9.:-]{1,253}$/;

export const edgeJoinRoutes = createRouter().openapi(route, async (c) => {
  const principal = c.get('principal');
  const access = await clusterAccess(c.get('db'), principal, c.req.valid('param').c);
  requireClusterWide(principal, access, 'create', 'nodes');
  const { nodeName, remoteRuntimeEndpoint, labels } = c.req.valid('json');
  c.get('audit').name = nodeName;
  const ns = `/api/v1/namespaces/${KUBEEDGE_NAMESPACE}`;
  const [config, secret, deployment] = await Promise.all([
    kubeGet(c.env, principal, access, `${ns}/configmaps/cloudcore`),
    kubeGet(c.env, principal, access, `${ns}/secrets/tokensecret`),
    kubeGet(
      c.env,
      principal,
      access,
      `/apis/apps/v1/namespaces/${KUBEEDGE_NAMESPACE}/deployments/cloudcore`,
    ),
  ]);
  const yaml = (config as { data?: Record<string, string> } | undefined)?.data?.['cloudcore.yaml'];
  const tokenData = (secret as { data?: Record<string, string> } | undefined)?.data?.tokendata;
  if (!yaml || !tokenData)
    throw new ApiError(
      409,
      'KubeEdge cloudcore is not installed in this cluster (namespace kubeedge).',
      {
        code: 'kubeedge_missing',
      },
    );
  const endpoints = parseCloudcoreConfig(yaml);
  const address = endpoints.advertiseAddresses[0];
  let token = '';
  try {
    token = atob(tokenData).trim();
  } catch {
    // checked below
  }
  if (!address || !safeAddress.test(address) || !safeToken.test(token))
    throw new ApiError(502, 'The cloudcore configuration or token secret is not usable.');
  const image =
    (
      deployment as
        | { spec?: { template?: { spec?: { containers?: { image?: string }[] } } } }
        | undefined
    )?.spec?.template?.spec?.containers?.[0]?.image ?? '';
  const version = /:v?(\d+\.\d+\.\d+)$/.exec(image)?.[1] ?? null;
  if (labels && Object.keys(labels).length && !labelsSupported(version))
    throw new ApiError(400, `keadm ${version} has no --labels (KubeEdge 1.8 and later).`, {
      code: 'labels_unsupported',
    });
  // The form upstream keadm of this cloudcore's version accepts (see keadm-join.ts).
  const command = keadmJoinCommand({
    address,
    websocketPort: endpoints.websocketPort,
    certPort: endpoints.certPort,
    token,
    nodeName,
    kubeedgeVersion: version,
    remoteRuntimeEndpoint,
    labels,
  });
  return c.json(
    {
      command,
      cloudcore: { address, websocketPort: endpoints.websocketPort, certPort: endpoints.certPort },
      kubeedgeVersion: version,
    },
    200,
  );
});
