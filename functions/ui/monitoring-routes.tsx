import { type Context, Hono } from 'hono';
import { z } from 'zod';
import type { FieldIssue } from '../errors';
import { dnsLabel } from '../iam/names';
import type { NodeFiguresRead } from '../monitoring/node-metrics';
import type { NodeDetail } from '../monitoring/node-schemas';
import type { PanelData } from '../monitoring/schemas';
import { panelRanges } from '../monitoring/schemas';
import { callApi } from './api-client';
import { formStatus, messageOf, orThrow } from './api-errors';
import { monitoringAssets } from './monitoring-assets';
import { formErrors, parseEditForm } from './monitoring-form';
import { NodePageBody, NodeUsageTable } from './monitoring-nodes';
import {
  DashboardBody,
  DashboardEditBody,
  type DashboardItem,
  DashboardListBody,
  type EditView,
} from './monitoring-pages';
import { clusterUiPlace, namespaceUiPlace, placeHref, type UiPlace } from './monitoring-place';
import { ConfirmBody } from './pages/confirm';
import { paramsInput, renderPage } from './render';
import { requireSession } from './session';
import type { ApiFetch, UiEnv } from './ui-env';

type Ctx = Context<UiEnv>;
const enc = encodeURIComponent;
const rangeKeys = Object.keys(panelRanges) as [string, ...string[]];
const nodeName = z
  .string()
  .max(253)
  .regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/);

const pageQuery = z.object({
  range: z.enum(rangeKeys).optional(),
  notice: z.enum(['saved', 'deleted']).optional(),
  name: z.string().max(63).optional(),
  cluster: dnsLabel.optional(),
});

const places: [string, (c: Ctx) => UiPlace][] = [
  [
    '/ui/clusters/:c/monitoring',
    (c) => clusterUiPlace(paramsInput(z.object({ c: dnsLabel }), c.req.param(), 'param').c),
  ],
  [
    '/ui/workspaces/:ws/namespaces/:ns/monitoring',
    (c) => {
      const p = paramsInput(z.object({ ws: dnsLabel, ns: dnsLabel }), c.req.param(), 'param');
      const q = paramsInput(
        z.object({ cluster: dnsLabel.optional() }),
        { cluster: c.req.query('cluster') },
        'query',
      );
      return namespaceUiPlace(p.ws, p.ns, q.cluster);
    },
  ],
];

const dashboardName = (c: Ctx) =>
  paramsInput(z.object({ name: dnsLabel }), { name: c.req.param('name') }, 'param').name;

interface ListAnswer {
  items: DashboardItem[];
  mayCreate: boolean;
}

/** Custom monitoring pages: dashboards (list, charts, editing, delete) and node pages. */
export function uiMonitoringRoutes(api: ApiFetch) {
  const app = new Hono<UiEnv>();
  for (const asset of Object.values(monitoringAssets))
    app.get(asset.path, (c) =>
      c.body(asset.body, 200, {
        'content-type': asset.type,
        'cache-control': 'public, max-age=31536000, immutable',
      }),
    );

  const editPage = (
    c: Ctx,
    place: UiPlace,
    view: EditView,
    status: 200 | 400 | 403 | 404 | 409 | 422 = 200,
  ) =>
    renderPage(
      c,
      {
        title: view.isNew ? c.get('i18n').t('monitoring.new') : view.title,
        section: 'clusters',
        status,
      },
      <DashboardEditBody i18n={c.get('i18n')} csrf={c.get('csrf')} place={place} view={view} />,
    );

  /** Sends the form to the API; PRG on success, the form again with the errors at the fields otherwise. */
  async function save(c: Ctx, place: UiPlace, isNew: boolean, name: string) {
    const parsed = parseEditForm(await c.req.parseBody(), isNew, name);
    const path = isNew
      ? placeHref(place, place.api)
      : placeHref(place, `${place.api}/${enc(name)}`);
    const answer = await callApi<DashboardItem>(c, api, path, {
      method: isNew ? 'POST' : 'PUT',
      json: parsed.json,
    });
    if (answer.ok)
      return c.redirect(
        placeHref(place, `${place.ui}/${enc(answer.body.name)}`, { notice: 'saved' }),
        303,
      );
    const fields = (answer.body as { fields?: FieldIssue[] } | null)?.fields;
    const view: EditView = {
      ...parsed.view,
      errors: formErrors(c.get('i18n'), fields, parsed.rowOf),
      message: c.get('i18n').t('edit.failed', { message: messageOf(answer) }),
    };
    return editPage(c, place, view, formStatus(answer) as 400);
  }

  for (const [base, placeOf] of places) {
    app.get(base, requireSession, async (c) => {
      const place = placeOf(c);
      const query = paramsInput(pageQuery, c.req.query(), 'query');
      const list = orThrow(await callApi<ListAnswer>(c, api, placeHref(place, place.api)));
      const i18n = c.get('i18n');
      return renderPage(
        c,
        { title: i18n.t('monitoring.dashboardsOf', { place: place.label }), section: 'clusters' },
        <DashboardListBody
          i18n={i18n}
          place={place}
          items={list.items}
          mayCreate={list.mayCreate}
          notice={
            query.notice === 'deleted'
              ? i18n.t('edit.deleted', { name: query.name ?? '' })
              : undefined
          }
        />,
      );
    });
    app.get(`${base}/_new`, requireSession, async (c) => {
      const place = placeOf(c);
      // The list answers whether the caller may create here (and 404s where they may not look).
      const list = orThrow(await callApi<ListAnswer>(c, api, placeHref(place, place.api)));
      if (!list.mayCreate) return c.redirect(placeHref(place, place.ui), 303);
      return editPage(c, place, {
        isNew: true,
        name: '',
        title: '',
        position: '',
        rows: [],
        errors: {},
      });
    });
    app.post(`${base}/_new`, requireSession, async (c) => save(c, placeOf(c), true, ''));
    app.get(`${base}/:name`, requireSession, async (c) => {
      const place = placeOf(c);
      const name = dashboardName(c);
      const query = paramsInput(pageQuery, c.req.query(), 'query');
      const data = orThrow(
        await callApi<{ dashboard: DashboardItem; panels: PanelData[] }>(
          c,
          api,
          placeHref(place, `${place.api}/${enc(name)}/data`, { range: query.range }),
        ),
      );
      const i18n = c.get('i18n');
      return renderPage(
        c,
        { title: data.dashboard.title, section: 'clusters' },
        <DashboardBody
          i18n={i18n}
          place={place}
          dashboard={data.dashboard}
          panels={data.panels}
          range={query.range}
          notice={query.notice === 'saved' ? i18n.t('monitoring.saved') : undefined}
        />,
      );
    });
    app.get(`${base}/:name/edit`, requireSession, async (c) => {
      const place = placeOf(c);
      const name = dashboardName(c);
      const d = orThrow(
        await callApi<DashboardItem>(c, api, placeHref(place, `${place.api}/${enc(name)}`)),
      );
      if (!d.mayEdit) return c.redirect(placeHref(place, `${place.ui}/${enc(name)}`), 303);
      return editPage(c, place, {
        isNew: false,
        name: d.name,
        title: d.title,
        position: String(d.position),
        rows: d.panels.map((p, i) => ({
          id: p.id,
          title: p.title,
          query: p.query,
          unit: p.unit ?? '',
          range: p.range,
          order: String(i + 1),
        })),
        errors: {},
      });
    });
    app.post(`${base}/:name/edit`, requireSession, async (c) =>
      save(c, placeOf(c), false, dashboardName(c)),
    );
    app.get(`${base}/:name/delete`, requireSession, async (c) => {
      const place = placeOf(c);
      const name = dashboardName(c);
      const d = orThrow(
        await callApi<DashboardItem>(c, api, placeHref(place, `${place.api}/${enc(name)}`)),
      );
      const i18n = c.get('i18n');
      return renderPage(
        c,
        { title: i18n.t('monitoring.delete'), section: 'clusters' },
        <ConfirmBody
          i18n={i18n}
          csrf={c.get('csrf')}
          question={i18n.t('monitoring.deleteQuestion', { name: d.title })}
          action={placeHref(place, `${place.ui}/${enc(name)}/delete`)}
          submit={i18n.t('monitoring.delete')}
          cancel={placeHref(place, `${place.ui}/${enc(name)}`)}
        />,
      );
    });
    app.post(`${base}/:name/delete`, requireSession, async (c) => {
      const place = placeOf(c);
      const name = dashboardName(c);
      orThrow(
        await callApi(c, api, placeHref(place, `${place.api}/${enc(name)}`), { method: 'DELETE' }),
      );
      return c.redirect(placeHref(place, place.ui, { notice: 'deleted', name }), 303);
    });
  }

  app.get('/ui/clusters/:c/nodes', requireSession, async (c) => {
    const cluster = paramsInput(z.object({ c: dnsLabel }), c.req.param(), 'param').c;
    const read = orThrow(
      await callApi<NodeFiguresRead>(
        c,
        api,
        `/api/v1/clusters/${enc(cluster)}/nodes/metrics?limit=200`,
      ),
    );
    const i18n = c.get('i18n');
    return renderPage(
      c,
      { title: i18n.t('nodes.usageOf', { cluster }), section: 'clusters' },
      <>
        <p>
          <a href={`/ui/clusters/${enc(cluster)}`}>← {cluster}</a>
        </p>
        <section class="card">
          <NodeUsageTable
            i18n={i18n}
            cluster={cluster}
            items={read.items}
            live={read.live}
            collectedAt={read.collectedAt}
          />
        </section>
      </>,
    );
  });
  app.get('/ui/clusters/:c/nodes/:node', requireSession, async (c) => {
    const p = paramsInput(z.object({ c: dnsLabel, node: nodeName }), c.req.param(), 'param');
    const history = paramsInput(
      z.object({ history: z.enum(['1h', '6h', '24h']).default('1h') }),
      c.req.query(),
      'query',
    ).history;
    const detail = orThrow(
      await callApi<NodeDetail>(
        c,
        api,
        `/api/v1/clusters/${enc(p.c)}/nodes/${enc(p.node)}/metrics?history=${history}`,
      ),
    );
    return renderPage(
      c,
      { title: c.get('i18n').t('nodes.title', { name: p.node }), section: 'clusters' },
      <NodePageBody i18n={c.get('i18n')} cluster={p.c} detail={detail} history={history} />,
    );
  });
  return app;
}
