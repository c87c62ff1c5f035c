import { type Context, Hono } from 'hono';
import { z } from 'zod';
import { mayOnApp } from '../delivery/access';
import { wsParam } from '../iam/schemas';
import { visibleWorkspace } from '../iam/scopes';
import { callApi } from './api-client';
import { orThrow } from './api-errors';
import { AppDetailBody, AppListBody, type AppRights, type AppView } from './pages/apps';
import { ConfirmBody } from './pages/confirm';
import { paramsInput, renderPage } from './render';
import { requireSession } from './session';
import type { ApiFetch, UiEnv } from './ui-env';

/** App names are DNS labels; anything else never reaches the API path. */
const appParam = wsParam.extend({
  app: z
    .string()
    .max(253)
    .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/),
});
const noticeQuery = z.object({ notice: z.enum(['deleted']).optional() });

/** Decided server-side with the same rule as the API: viewers get no controls. */
async function appRights(c: Context<UiEnv>, ws: string, app: AppView): Promise<AppRights> {
  const db = c.get('db');
  const principal = c.get('principal');
  const { workspace } = await visibleWorkspace(db, principal, ws);
  const [edit, remove] = await Promise.all([
    mayOnApp(db, principal, 'update', workspace, app.namespace, []),
    mayOnApp(db, principal, 'delete', workspace, app.namespace, []),
  ]);
  return { edit, remove };
}

const apiPath = (ws: string, app?: string) =>
  `/api/v1/workspaces/${ws}/apps${app ? `/${encodeURIComponent(app)}` : ''}`;

/** A workspace's apps: phases and per-cluster states, an app's resources, delete after confirming. */
export function uiAppRoutes(api: ApiFetch) {
  return new Hono<UiEnv>()
    .get('/ui/workspaces/:ws/apps', requireSession, async (c) => {
      const { ws } = paramsInput(wsParam, c.req.param(), 'param');
      const { notice } = paramsInput(noticeQuery, c.req.query(), 'query');
      const i18n = c.get('i18n');
      const page = orThrow(await callApi<{ items: AppView[] }>(c, api, apiPath(ws)));
      return renderPage(
        c,
        { title: i18n.t('apps.title', { ws }), section: 'workspaces' },
        <AppListBody
          i18n={i18n}
          ws={ws}
          apps={page.items}
          notice={notice ? i18n.t('apps.deleted') : undefined}
        />,
      );
    })
    .get('/ui/workspaces/:ws/apps/:app', requireSession, async (c) => {
      const { ws, app: name } = paramsInput(appParam, c.req.param(), 'param');
      const app = orThrow(await callApi<AppView>(c, api, apiPath(ws, name)));
      return renderPage(
        c,
        { title: app.name, section: 'workspaces' },
        <AppDetailBody
          i18n={c.get('i18n')}
          ws={ws}
          app={app}
          rights={await appRights(c, ws, app)}
        />,
      );
    })
    .get('/ui/workspaces/:ws/apps/:app/delete', requireSession, async (c) => {
      const { ws, app: name } = paramsInput(appParam, c.req.param(), 'param');
      orThrow(await callApi<AppView>(c, api, apiPath(ws, name)));
      const i18n = c.get('i18n');
      return renderPage(
        c,
        { title: i18n.t('apps.delete'), section: 'workspaces' },
        <ConfirmBody
          i18n={i18n}
          csrf={c.get('csrf')}
          question={i18n.t('apps.confirmDelete', { app: name, ws })}
          action={`/ui/workspaces/${ws}/apps/${name}/delete`}
          submit={i18n.t('apps.delete')}
          cancel={`/ui/workspaces/${ws}/apps/${name}`}
        />,
      );
    })
    .post('/ui/workspaces/:ws/apps/:app/delete', requireSession, async (c) => {
      const { ws, app: name } = paramsInput(appParam, c.req.param(), 'param');
      orThrow(await callApi(c, api, apiPath(ws, name), { method: 'DELETE' }));
      return c.redirect(`/ui/workspaces/${ws}/apps?notice=deleted`, 303);
    });
}
