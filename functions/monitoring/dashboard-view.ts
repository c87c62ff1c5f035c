import type { Context } from 'hono';
import type { DashboardRow } from '../../db/queries/monitoring-dashboards';
import type { AppEnv } from '../env';
import { panelView } from './panel-query';
import { type DashboardPlace, mayWrite } from './place';

/** A dashboard as the API shows it, with whether the caller may change it. */
export function dashboardView(c: Context<AppEnv>, place: DashboardPlace, row: DashboardRow) {
  return {
    name: row.name,
    title: row.title,
    position: row.position,
    cluster: place.cluster,
    workspace: place.workspace,
    namespace: place.namespace,
    panels: row.panels.map(panelView),
    mayEdit: mayWrite(c, place, 'update'),
    updatedBy: row.updatedBy ?? null,
    updatedAt: row.updatedAt.toISOString(),
  };
}
