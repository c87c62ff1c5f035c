/**
 * The `keadm join` command for an edge node, in the form upstream keadm of
 * the cluster's KubeEdge version accepts. Upstream keadm refuses unknown
 * flags (cobra), so nothing KubeSphere's forked keadm added (`--quicport`,
 * `--tunnelport`, `--edgenode-ip`, `--with-edge-taint`) is ever emitted.
 *
 * Flags by version, read from kubeedge/kubeedge keadm/cmd/keadm/app/cmd/edge/join*.go:
 * - every version from 1.6: --cloudcore-ipport --token --edgenode-name
 *   --kubeedge-version --certport --remote-runtime-endpoint (and others not used here)
 * - --labels from 1.8
 * - --runtimetype until 1.15 (its default is docker: a CRI endpoint needs `remote`);
 *   1.16 removed it, CRI being the only runtime
 */
export interface KeadmJoinInput {
  /** cloudcore's advertised address (IPv6 unbracketed). */
  address: string;
  websocketPort: number;
  certPort: number;
  token: string;
  nodeName: string;
  /** "1.13.1"; null when the cloudcore image tag did not say (the newest form is used). */
  kubeedgeVersion: string | null;
  remoteRuntimeEndpoint?: string;
  labels?: Record<string, string>;
}

/** keadm's default for --certport. */
const DEFAULT_CERT_PORT = 10002;

/** [major, minor] of "1.13.1"; undefined for anything else. */
export function kubeedgeMinor(version: string | null): number | undefined {
  const match = version ? /^v?1\.(\d+)\./.exec(`${version}.`) : null;
  return match ? Number(match[1]) : undefined;
}

/** Labels need keadm 1.8 or later; the caller answers 400 otherwise. */
export function labelsSupported(version: string | null): boolean {
  const minor = kubeedgeMinor(version);
  return minor === undefined || minor >= 8;
}

export function keadmJoinCommand(input: KeadmJoinInput): string {
  const minor = kubeedgeMinor(input.kubeedgeVersion);
  const host = input.address.includes(':') ? `[${input.address}]` : input.address;
  const flags = [
    `--cloudcore-ipport=${host}:${input.websocketPort}`,
    `--token=${input.token}`,
    `--edgenode-name=${input.nodeName}`,
  ];
  if (input.kubeedgeVersion) flags.push(`--kubeedge-version=${input.kubeedgeVersion}`);
  if (input.certPort !== DEFAULT_CERT_PORT) flags.push(`--certport=${input.certPort}`);
  if (input.remoteRuntimeEndpoint) {
    if (minor !== undefined && minor < 16) flags.push('--runtimetype=remote');
    flags.push(`--remote-runtime-endpoint=${input.remoteRuntimeEndpoint}`);
  }
  const labels = Object.entries(input.labels ?? {});
  if (labels.length) flags.push(`--labels=${labels.map(([k, v]) => `${k}=${v}`).join(',')}`);
  return ['keadm join', ...flags].join(' ');
}
