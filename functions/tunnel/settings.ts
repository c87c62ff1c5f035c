import type { Vars } from '../bindings';

/** Tunnel settings read from the worker's vars. */
export interface TunnelSettings {
  /** A cluster is disconnected this long after its last live agent went silent. */
  livenessSeconds: number;
  /** Kubernetes group that platform admins and cluster admins are impersonated with. */
  kubeAdminGroup: string;
  /** How long the edge waits for the response head of a proxied request. */
  responseTimeoutSeconds: number;
}

const positive = (raw: string | undefined, fallback: number): number => {
  const value = Number(raw);
  return Number.isFinite(value) && value > 0 ? value : fallback;
};

export function tunnelSettings(env: Vars): TunnelSettings {
  return {
    livenessSeconds: positive(env.TUNNEL_LIVENESS_SECONDS, 45),
    kubeAdminGroup: env.KUBE_ADMIN_GROUP?.trim() || 'system:masters',
    responseTimeoutSeconds: positive(env.TUNNEL_RESPONSE_TIMEOUT_SECONDS, 60),
  };
}
