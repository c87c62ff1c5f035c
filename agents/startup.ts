// The module itself, not the package index: the index loads every generated API client.
import { KubeConfig } from '@kubernetes/client-node/dist/config.js';
import type { HostPort } from './config';
import { allowPlainHttp, currentCluster, type HttpsOptions } from './kube';

/**
 * Start-up problems no retry can fix (an unusable kubeconfig, a port taken):
 * the agent exits non-zero with this one message rather than keep a tunnel
 * up that makes a broken agent look connected.
 */
export class StartupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StartupError';
  }
}

const messageOf = (err: unknown) => (err instanceof Error ? err.message : String(err));

/**
 * The kubeconfig the agent runs with: a file, or the in-cluster ServiceAccount.
 * Checked now (current cluster, server URL, credentials readable) so a bad one
 * fails start-up instead of every request later.
 */
export async function openKubeConfig(path: string | undefined): Promise<KubeConfig> {
  const source = path ? `kubeconfig ${path}` : 'in-cluster config';
  let kc = new KubeConfig();
  try {
    if (path) kc.loadFromFile(path);
    else kc.loadFromCluster();
    kc = allowPlainHttp(kc);
    const cluster = currentCluster(kc);
    let server: URL;
    try {
      server = new URL(cluster.server);
    } catch {
      throw new Error(`server "${cluster.server}" is not a URL`);
    }
    if (server.protocol !== 'https:' && server.protocol !== 'http:')
      throw new Error(`server "${cluster.server}" is neither https:// nor http://`);
    // Reads certificate files, token files, runs exec plugins: what every request will do.
    const opts: HttpsOptions = {};
    await kc.applyToHTTPSOptions(opts);
  } catch (err) {
    throw new StartupError(`${source} is not usable: ${messageOf(err)}`);
  }
  return kc;
}

/** A listener that could not bind, said plainly (the flag to change included). */
export function listenFailure(what: string, flag: string, listen: HostPort, err: unknown) {
  const code = (err as { code?: unknown }).code;
  const where = `${listen.host}:${listen.port}`;
  if (code === 'EADDRINUSE')
    return new StartupError(`${what} port ${where} is already in use (${flag})`);
  if (code === 'EACCES')
    return new StartupError(`${what} port ${where} needs privileges this process lacks (${flag})`);
  return new StartupError(`${what} cannot listen on ${where} (${flag}): ${messageOf(err)}`);
}
