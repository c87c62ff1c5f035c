import type { Vars } from '../bindings';
import { settings } from '../settings';

/**
 * The edge's own URL, for Alertmanager's `externalURL` (webhook payloads,
 * /api/v2/status): PUBLIC_URL when set, else the origin the request came in
 * on; undefined when neither is known (work started by an alarm or the
 * queue without PUBLIC_URL).
 */
export function externalUrl(env: Partial<Vars>, requestUrl?: string): string | undefined {
  const configured = settings(env).publicUrl;
  if (configured) return configured.replace(/\/+$/, '');
  return requestUrl ? new URL(requestUrl).origin : undefined;
}
