import { type Context, Hono } from 'hono';
import { z } from 'zod';
import { grantedClustersWithLabels } from '../../db/queries/apps';
import { mayOnApp } from '../delivery/access';
import { forbidden } from '../errors';
import { can } from '../iam/authorize';
import { wsParam } from '../iam/schemas';
import { visibleWorkspace } from '../iam/scopes';
import { callApi } from './api-client';
import { orThrow } from './api-errors';
import { type AppSpecView, editOf, replaceBody } from './app-edit-values';
import { apiProblem, type FormProblem } from './forms/form-problem';
import { AppFormBody, type AppFormEdit } from './pages/app-form';
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

/** The form's fields as the apps API wants them (placement by the ticked cluster names). */
function appBody(form: Record<string, string | File | (string | File)[]>) {
  const text = (k: string) => (typeof form[k] === 'string' ? (form[k] as string) : '');
  const raw = form.clusters;
  const clusters = (Array.isArray(raw) ? raw : raw ? [raw] : []).filter(
    (x): x is string => typeof x === 'string',
  );
  const maxUnavailable = text('maxUnavailableClusters').trim();
  const values = {
    name: text('name').slice(0, 63),
    namespace: text('namespace').slice(0, 63),
    manifests: text('manifests').slice(0, 1024 * 1024),
    nodes: text('nodes'),
    clusters: clusters.join(','),
    maxUnavailableClusters: maxUnavailable.slice(0, 9),
  };
  const json = {
    name: values.name,
    namespace: values.namespace,
    manifests: values.manifests,
    placement: { clusters },
    nodes: values.nodes || 'any',
    ...(maxUnavailable ? { rollout: { maxUnavailableClusters: Number(maxUnavailable) } } : {}),
  };
  return { values, json };
}

async function renderAppForm(
  c: Context<UiEnv>,
  ws: string,
  problem?: FormProblem,
  edit?: AppFormEdit,
) {
  const db = c.get('db');
  const { workspace } = await visibleWorkspace(db, c.get('principal'), ws);
  const clusters = (await grantedClustersWithLabels(db, workspace.id)).map((cl) => cl.name);
  const i18n = c.get('i18n');
  return renderPage(
    c,
    {
      title: edit ? i18n.t('apps.edit') : i18n.t('apps.new'),
      section: 'workspaces',
      status: problem?.status ?? 200,
    },
    <AppFormBody
      i18n={i18n}
      csrf={c.get('csrf')}
      ws={ws}
      clusters={clusters}
      edit={edit}
      problem={problem}
    />,
  );
}

/** The app to edit, if the caller may edit it: 404 as the API says, 403 for a reader. */
async function editableApp(c: Context<UiEnv>, api: ApiFetch, ws: string, name: string) {
  const app = orThrow(await callApi<AppSpecView & AppView>(c, api, apiPath(ws, name)));
  if (!(await appRights(c, ws, app)).edit) throw forbidden('You may not edit this app.');
  return app;
}

/** A workspace's apps: phases and per-cluster states, an app's resources, delete after confirming. */
export function uiAppRoutes(api: ApiFetch) {
  return (
    new Hono<UiEnv>()
      .get('/ui/workspaces/:ws/apps', requireSession, async (c) => {
        const { ws } = paramsInput(wsParam, c.req.param(), 'param');
        const { notice } = paramsInput(noticeQuery, c.req.query(), 'query');
        const i18n = c.get('i18n');
        const page = orThrow(await callApi<{ items: AppView[] }>(c, api, apiPath(ws)));
        const { scope } = await visibleWorkspace(c.get('db'), c.get('principal'), ws);
        return renderPage(
          c,
          { title: i18n.t('apps.title', { ws }), section: 'workspaces' },
          <AppListBody
            i18n={i18n}
            ws={ws}
            apps={page.items}
            notice={notice ? i18n.t('apps.deleted') : undefined}
            mayCreate={can(c.get('principal'), 'create', 'apps', scope)}
          />,
        );
      })
      // `-` cannot start a DNS label, so no app's name ever clashes with this page (an app may be
      // called `new`).
      .get('/ui/workspaces/:ws/apps/-/new', requireSession, async (c) => {
        const { ws } = paramsInput(wsParam, c.req.param(), 'param');
        return renderAppForm(c, ws);
      })
      .post('/ui/workspaces/:ws/apps', requireSession, async (c) => {
        const { ws } = paramsInput(wsParam, c.req.param(), 'param');
        const { values, json } = appBody(await c.req.parseBody({ all: true }));
        const answer = await callApi(c, api, apiPath(ws), { method: 'POST', json });
        if (!answer.ok) return renderAppForm(c, ws, apiProblem('app', answer, values));
        return c.redirect(`/ui/workspaces/${ws}/apps/${json.name}`, 303);
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
      .get('/ui/workspaces/:ws/apps/:app/edit', requireSession, async (c) => {
        const { ws, app: name } = paramsInput(appParam, c.req.param(), 'param');
        return renderAppForm(c, ws, undefined, editOf(await editableApp(c, api, ws, name)));
      })
      .post('/ui/workspaces/:ws/apps/:app/edit', requireSession, async (c) => {
        const { ws, app: name } = paramsInput(appParam, c.req.param(), 'param');
        const app = await editableApp(c, api, ws, name);
        const form = await c.req.parseBody({ all: true });
        const { values, json } = appBody(form);
        const edit = editOf(app);
        // Someone saved meanwhile: say so rather than overwrite their generation unseen.
        if (typeof form.generation === 'string' && form.generation !== String(app.generation)) {
          const problem = apiProblem(
            'app',
            {
              ok: false,
              status: 409,
              body: { message: `App "${name}" changed meanwhile (generation ${app.generation}).` },
            },
            values,
          );
          return renderAppForm(c, ws, problem, edit);
        }
        const body = replaceBody(
          app,
          { ...json, clusters: json.placement.clusters },
          values.maxUnavailableClusters,
        );
        const answer = await callApi(c, api, apiPath(ws, name), { method: 'PUT', json: body });
        if (!answer.ok) return renderAppForm(c, ws, apiProblem('app', answer, values), edit);
        return c.redirect(`/ui/workspaces/${ws}/apps/${name}`, 303);
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
      })
  );
}
