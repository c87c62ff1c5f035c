import type { Database } from '../../db/client';
import type { Principal } from '../../db/principal';
import { AGENT_VERSION } from '../../protocol/agent-version';
import type { Env } from '../env';
import { renderAmConfig } from './am-config-yaml';
import { loadTenantRouting } from './am-tenant-routing';
import { externalUrl } from './external-url';

/** When this isolate first answered: Workers freeze the clock while a module loads. */
let startedAt: Date | undefined;

/**
 * Edgetower's own build, in Alertmanager's VersionInfo fields (all
 * required by amtool's client). amtool compares major.minor with its own
 * and prints a warning when they differ (`--no-version-check` silences it);
 * claiming an Alertmanager release would be a lie. There is no Go here:
 * `goVersion` names the runtime.
 */
export const versionInfo = () => ({
  version: AGENT_VERSION,
  revision: 'unknown',
  branch: 'unknown',
  buildUser: 'edgetower',
  buildDate: 'unknown',
  goVersion: 'none (Cloudflare Workers)',
});

/**
 * Alertmanager API v2 AlertmanagerStatus for the caller: the routing they
 * may see as Alertmanager YAML in `config.original` (what
 * `amtool config routes show` prints), no Alertmanager cluster (the edge is
 * one logical Alertmanager), and `externalURL`, an addition naming the edge
 * as webhook payloads do.
 */
export async function amStatus(env: Env, db: Database, principal: Principal, requestUrl: string) {
  startedAt ??= new Date();
  const routing = await loadTenantRouting(db, principal);
  return {
    cluster: { status: 'disabled' as const },
    versionInfo: versionInfo(),
    config: { original: renderAmConfig(routing) },
    uptime: startedAt.toISOString(),
    externalURL: externalUrl(env, requestUrl) ?? '',
  };
}
