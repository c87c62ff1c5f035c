import type { Database } from '../../db/client';
import type { Principal } from '../../db/principal';
import { listHaltedApps } from '../../db/queries/halted-apps';
import { mayOnApp } from '../delivery/access';
import type { AttentionItem } from './schemas';

/** At most this many halted apps are scanned for the first screen. */
const HALTED_APP_SCAN_LIMIT = 200;

/**
 * "Needs attention" lines for apps whose rollout halted at the current
 * generation, only those the caller may read (a workspace role, or a
 * namespace role on the app's namespace) — another tenant's halt never shows.
 */
export async function haltedAppItems(db: Database, principal: Principal): Promise<AttentionItem[]> {
  const rows = await listHaltedApps(db, HALTED_APP_SCAN_LIMIT);
  const items: AttentionItem[] = [];
  for (const { app, workspace } of rows) {
    const halted = app.halted;
    if (!halted || halted.generation !== app.generation) continue;
    if (!(await mayOnApp(db, principal, 'get', workspace, app.namespace, []))) continue;
    items.push({
      kind: 'app-halted',
      severity: 'critical',
      title: app.name,
      since: app.updatedAt.toISOString(),
      labels: { workspace: workspace.name, app: app.name, cluster: halted.cluster },
      count: 1,
      summary: halted.message,
    });
  }
  return items;
}
