import { Hono } from 'hono';
import { z } from 'zod';
import { clusterByName } from '../../db/queries/clusters';
import type { AlertView } from '../alerting/alert-groups';
import { clusterNameParam } from '../clusters/schemas';
import { can, platformScope } from '../iam/authorize';
import { visibleAlerts } from '../overview/visible-alerts';
import { issuerUrl } from '../settings';
import { type ApiAnswer, callApi } from './api-client';
import { formStatus, messageOf, orThrow } from './api-errors';
import {
  ClusterDetailBody,
  type EventItem,
  type Listing,
  type NamespaceItem,
  type NodeItem,
} from './pages/cluster-detail';
import {
  ClusterListBody,
  type ClusterView,
  type Registration,
  RegistrationBody,
} from './pages/clusters';
import { formInput, paramsInput, renderPage } from './render';
import { requireSession } from './session';
import type { ApiFetch, UiEnv } from './ui-env';

type Ctx = Parameters<typeof callApi>[0];

const listQuery = z.object({ cursor: z.string().max(512).optional() });
const registerForm = z.object({
  name: z.string().trim().min(1).max(63),
  description: z.string().trim().max(256).optional(),
});
const edgeJoinForm = z.object({
  nodeName: z.string().trim().min(1).max(253),
  nodeIp: z.string().trim().min(1).max(45),
});

interface Page<T> {
  items: T[];
  nextCursor?: string;
}

/** A 403 list is "not for you", not an error: tenants see the cluster without its nodes. */
function listing<T>(answer: ApiAnswer<Page<T>>): Listing<T> {
  if (answer.status === 403) return { allowed: false };
  return { allowed: true, items: orThrow(answer).items };
}

async function loadDetail(c: Ctx, api: ApiFetch, name: string) {
  const base = `/api/v1/clusters/${encodeURIComponent(name)}`;
  const cluster = orThrow(await callApi<ClusterView>(c, api, base));
  const [nodes, edgeNodes, namespaces, events, alerts, record] = await Promise.all([
    callApi<Page<NodeItem>>(c, api, `${base}/nodes?limit=200`),
    callApi<Page<NodeItem>>(c, api, `${base}/edge-nodes?limit=200`),
    callApi<Page<NamespaceItem>>(c, api, `${base}/namespaces?limit=200`),
    callApi<Page<EventItem>>(c, api, `${base}/events?limit=50`),
    visibleAlerts(c.env, c.get('db'), c.get('principal'), [name], Date.now()),
    clusterByName(c.get('db'), name),
  ]);
  const mayAdminister = record
    ? can(c.get('principal'), 'update', 'clusters', { level: 'cluster', clusterId: record.id })
    : false;
  return {
    cluster,
    nodes: listing(nodes),
    edgeNodes: listing(edgeNodes),
    namespaces: listing(namespaces),
    events: listing(events),
    alerts: alerts.filter((a: AlertView) => a.labels.cluster === name),
    mayAdminister,
  };
}

/** Clusters: list, register, detail, rotate the join token, an edge node's join command. */
export function uiClusterRoutes(api: ApiFetch) {
  const list = async (c: Ctx, error?: string) => {
    const { cursor } = paramsInput(listQuery, c.req.query(), 'query');
    const query = cursor ? `&cursor=${encodeURIComponent(cursor)}` : '';
    const page = orThrow(
      await callApi<Page<ClusterView>>(c, api, `/api/v1/clusters?limit=100${query}`),
    );
    return (
      <ClusterListBody
        i18n={c.get('i18n')}
        csrf={c.get('csrf')}
        clusters={page.items}
        nextCursor={page.nextCursor}
        mayRegister={can(c.get('principal'), 'create', 'clusters', platformScope)}
        error={error}
      />
    );
  };
  const registration = (c: Ctx, body: Registration) =>
    renderPage(
      c,
      { title: body.cluster.name, section: 'clusters' },
      <RegistrationBody
        i18n={c.get('i18n')}
        registration={body}
        hubUrl={issuerUrl(c.env, c.req.url)}
      />,
    );

  return new Hono<UiEnv>()
    .get('/ui/clusters', requireSession, async (c) =>
      renderPage(
        c,
        { title: c.get('i18n').t('clusters.title'), section: 'clusters' },
        await list(c),
      ),
    )
    .post('/ui/clusters', requireSession, async (c) => {
      const input = await formInput(c, registerForm);
      const answer = await callApi<Registration>(c, api, '/api/v1/clusters', {
        method: 'POST',
        json: input.description ? input : { name: input.name },
      });
      if (answer.ok) return registration(c, answer.body);
      return renderPage(
        c,
        {
          title: c.get('i18n').t('clusters.title'),
          section: 'clusters',
          status: formStatus(answer),
        },
        await list(c, messageOf(answer)),
      );
    })
    .get('/ui/clusters/:c', requireSession, async (c) => {
      const { c: name } = paramsInput(clusterNameParam, c.req.param(), 'param');
      const detail = await loadDetail(c, api, name);
      return renderPage(
        c,
        { title: name, section: 'clusters' },
        <ClusterDetailBody i18n={c.get('i18n')} csrf={c.get('csrf')} {...detail} />,
      );
    })
    .post('/ui/clusters/:c/join-token', requireSession, async (c) => {
      const { c: name } = paramsInput(clusterNameParam, c.req.param(), 'param');
      const answer = await callApi<Registration>(
        c,
        api,
        `/api/v1/clusters/${encodeURIComponent(name)}/join-token`,
        { method: 'POST' },
      );
      return registration(c, orThrow(answer));
    })
    .post('/ui/clusters/:c/edge-join', requireSession, async (c) => {
      const { c: name } = paramsInput(clusterNameParam, c.req.param(), 'param');
      const input = await formInput(c, edgeJoinForm);
      const answer = await callApi<{ command: string }>(
        c,
        api,
        `/api/v1/clusters/${encodeURIComponent(name)}/edge-nodes/join-command`,
        { method: 'POST', json: input },
      );
      const detail = await loadDetail(c, api, name);
      return renderPage(
        c,
        { title: name, section: 'clusters', status: answer.ok ? 200 : formStatus(answer) },
        <ClusterDetailBody
          i18n={c.get('i18n')}
          csrf={c.get('csrf')}
          {...detail}
          edgeCommand={answer.ok ? answer.body.command : undefined}
          error={answer.ok ? undefined : messageOf(answer)}
        />,
      );
    });
}
