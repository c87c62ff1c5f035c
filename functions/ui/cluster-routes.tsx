import { type Context, Hono } from 'hono';
import { z } from 'zod';
import { tenancyOf } from '../../db/queries/alerts';
import { clusterByName } from '../../db/queries/clusters';
import { renderAgentManifest } from '../../protocol/agent-manifest';
import { mayOnLabels } from '../alerting/alert-scope';
import { clusterNameParam } from '../clusters/schemas';
import { can, platformScope } from '../iam/authorize';
import { visibleAlerts } from '../overview/visible-alerts';
import { issuerUrl } from '../settings';
import { type ApiAnswer, callApi } from './api-client';
import { orThrow } from './api-errors';
import { healthOf } from './cluster-health';
import { apiProblem, type FormProblem, readForm } from './forms/form-problem';
import { ClusterMonitoringSection, loadClusterMonitoring } from './monitoring-cluster-section';
import { keepOnce, takeOnce } from './one-time';
import {
  ClusterDetailBody,
  type EventItem,
  type Listing,
  type NamespaceItem,
  type NodeItem,
} from './pages/cluster-detail';
import {
  AlreadyShownBody,
  ClusterListBody,
  type ClusterView,
  type Registration,
  RegistrationBody,
} from './pages/clusters';
import { ConfirmBody } from './pages/confirm';
import { paramsInput, renderPage } from './render';
import { requireSession } from './session';
import type { ApiFetch, UiEnv } from './ui-env';

type Ctx = Context<UiEnv>;

const listQuery = z.object({
  cursor: z.string().max(512).optional(),
  notice: z.enum(['deleted']).optional(),
  name: z.string().max(63).optional(),
});
const detailQuery = z.object({
  nodes: z.enum(['all', 'not-ready']).default('all'),
  page: z.coerce.number().int().min(1).max(10_000).default(1),
  apage: z.coerce.number().int().min(1).max(10_000).default(1),
  edge: z.literal('1').optional(),
});
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
  const principal = c.get('principal');
  const scope = record ? { level: 'cluster' as const, clusterId: record.id } : undefined;
  const mine = alerts.filter((a) => a.labels.cluster === name);
  // Silence forms only where the silences API would say yes (the same can() on the same scope).
  const tenancy = await tenancyOf(
    c.get('db'),
    mine.map((a) => a.labels),
  );
  const silenceable = new Set(
    mine
      .filter((a) => mayOnLabels(principal, 'create', 'silences', a.labels, tenancy))
      .map((a) => a.fingerprint),
  );
  return {
    cluster,
    nodes: listing(nodes),
    edgeNodes: listing(edgeNodes),
    namespaces: listing(namespaces),
    events: listing(events),
    alerts: mine,
    silenceable,
    health: healthOf(cluster, mine).health,
    mayAdminister: scope ? can(principal, 'update', 'clusters', scope) : false,
    mayDelete: scope ? can(principal, 'delete', 'clusters', scope) : false,
  };
}

/** Clusters: list, register, detail, rotate the join token, an edge node's join command, delete. */
export function uiClusterRoutes(api: ApiFetch) {
  const list = async (c: Ctx, problem?: FormProblem) => {
    const query = paramsInput(listQuery, c.req.query(), 'query');
    const cursor = query.cursor ? `&cursor=${encodeURIComponent(query.cursor)}` : '';
    const page = orThrow(
      await callApi<Page<ClusterView>>(c, api, `/api/v1/clusters?limit=100${cursor}`),
    );
    const alerts = await visibleAlerts(
      c.env,
      c.get('db'),
      c.get('principal'),
      page.items.map((cl) => cl.name),
      Date.now(),
    );
    const i18n = c.get('i18n');
    return (
      <ClusterListBody
        i18n={i18n}
        csrf={c.get('csrf')}
        clusters={page.items.map((cl) => ({ ...cl, health: healthOf(cl, alerts).health }))}
        nextCursor={page.nextCursor}
        mayRegister={can(c.get('principal'), 'create', 'clusters', platformScope)}
        problem={problem}
        notice={
          query.notice === 'deleted'
            ? i18n.t('edit.deleted', { name: query.name ?? '' })
            : undefined
        }
      />
    );
  };
  const clusterName = (c: Ctx) => paramsInput(clusterNameParam, c.req.param(), 'param').c;

  return new Hono<UiEnv>()
    .get('/ui/clusters', requireSession, async (c) =>
      renderPage(
        c,
        { title: c.get('i18n').t('clusters.title'), section: 'clusters' },
        await list(c),
      ),
    )
    .post('/ui/clusters', requireSession, async (c) => {
      const input = await readForm(c, 'cluster', registerForm, ['name', 'description']);
      const answer = input.ok
        ? await callApi<Registration>(c, api, '/api/v1/clusters', {
            method: 'POST',
            json: input.data.description ? input.data : { name: input.data.name },
          })
        : undefined;
      if (answer?.ok) {
        await keepOnce(c, {
          kind: 'join-token',
          cluster: answer.body.cluster.name,
          value: answer.body.joinToken,
        });
        return c.redirect(`/ui/clusters/${answer.body.cluster.name}/join`, 303);
      }
      const problem = input.ok
        ? apiProblem('cluster', answer as ApiAnswer<unknown>, input.values)
        : input.problem;
      return renderPage(
        c,
        { title: c.get('i18n').t('clusters.title'), section: 'clusters', status: problem.status },
        await list(c, problem),
      );
    })
    .get('/ui/clusters/:c', requireSession, async (c) => {
      const name = clusterName(c);
      const query = paramsInput(detailQuery, c.req.query(), 'query');
      const detail = await loadDetail(c, api, name);
      const edgeCommand = query.edge ? await takeOnce(c, 'edge-command', name) : undefined;
      const namespaces = detail.namespaces.allowed ? detail.namespaces.items : [];
      const monitoring = await loadClusterMonitoring(c, api, name, namespaces);
      return renderPage(
        c,
        { title: name, section: 'clusters' },
        <>
          <ClusterDetailBody
            i18n={c.get('i18n')}
            csrf={c.get('csrf')}
            {...detail}
            nodeFilter={{ status: query.nodes, page: query.page }}
            alertPage={query.apage}
            edgeCommand={edgeCommand}
          />
          <ClusterMonitoringSection i18n={c.get('i18n')} cluster={name} monitoring={monitoring} />
        </>,
      );
    })
    .get('/ui/clusters/:c/join', requireSession, async (c) => {
      const name = clusterName(c);
      const token = await takeOnce(c, 'join-token', name);
      const i18n = c.get('i18n');
      if (!token)
        return renderPage(
          c,
          { title: name, section: 'clusters' },
          <AlreadyShownBody i18n={i18n} cluster={name} />,
        );
      const hubUrl = issuerUrl(c.env, c.req.url);
      return renderPage(
        c,
        { title: name, section: 'clusters' },
        <RegistrationBody
          i18n={i18n}
          cluster={name}
          token={token}
          hubUrl={hubUrl}
          manifest={renderAgentManifest({ clusterName: name, hubUrl, token })}
        />,
      );
    })
    .get('/ui/clusters/:c/rotate', requireSession, async (c) => {
      const name = clusterName(c);
      orThrow(await callApi(c, api, `/api/v1/clusters/${encodeURIComponent(name)}`));
      const i18n = c.get('i18n');
      return renderPage(
        c,
        { title: i18n.t('cluster.rotate'), section: 'clusters' },
        <ConfirmBody
          i18n={i18n}
          csrf={c.get('csrf')}
          question={i18n.t('confirm.rotate', { name })}
          detail={i18n.t('cluster.rotateHint')}
          action={`/ui/clusters/${name}/join-token`}
          submit={i18n.t('cluster.rotate')}
          cancel={`/ui/clusters/${name}`}
        />,
      );
    })
    .post('/ui/clusters/:c/join-token', requireSession, async (c) => {
      const name = clusterName(c);
      const answer = await callApi<Registration>(
        c,
        api,
        `/api/v1/clusters/${encodeURIComponent(name)}/join-token`,
        { method: 'POST' },
      );
      const body = orThrow(answer);
      await keepOnce(c, { kind: 'join-token', cluster: name, value: body.joinToken });
      return c.redirect(`/ui/clusters/${name}/join`, 303);
    })
    .get('/ui/clusters/:c/delete', requireSession, async (c) => {
      const name = clusterName(c);
      orThrow(await callApi(c, api, `/api/v1/clusters/${encodeURIComponent(name)}`));
      const i18n = c.get('i18n');
      return renderPage(
        c,
        { title: i18n.t('cluster.delete'), section: 'clusters' },
        <ConfirmBody
          i18n={i18n}
          csrf={c.get('csrf')}
          question={i18n.t('confirm.deleteCluster', { name })}
          detail={i18n.t('cluster.deleteHint')}
          action={`/ui/clusters/${name}/delete`}
          submit={i18n.t('cluster.delete')}
          cancel={`/ui/clusters/${name}`}
        />,
      );
    })
    .post('/ui/clusters/:c/delete', requireSession, async (c) => {
      const name = clusterName(c);
      orThrow(
        await callApi(c, api, `/api/v1/clusters/${encodeURIComponent(name)}`, {
          method: 'DELETE',
        }),
      );
      return c.redirect(`/ui/clusters?notice=deleted&name=${encodeURIComponent(name)}`, 303);
    })
    .post('/ui/clusters/:c/edge-join', requireSession, async (c) => {
      const name = clusterName(c);
      const input = await readForm(c, 'edge', edgeJoinForm, ['nodeName', 'nodeIp']);
      const answer = input.ok
        ? await callApi<{ command: string }>(
            c,
            api,
            `/api/v1/clusters/${encodeURIComponent(name)}/edge-nodes/join-command`,
            { method: 'POST', json: input.data },
          )
        : undefined;
      if (answer?.ok) {
        await keepOnce(c, { kind: 'edge-command', cluster: name, value: answer.body.command });
        return c.redirect(`/ui/clusters/${name}?edge=1#edge-result`, 303);
      }
      const problem = input.ok
        ? apiProblem('edge', answer as ApiAnswer<unknown>, input.values)
        : input.problem;
      const detail = await loadDetail(c, api, name);
      return renderPage(
        c,
        { title: name, section: 'clusters', status: problem.status },
        <ClusterDetailBody
          i18n={c.get('i18n')}
          csrf={c.get('csrf')}
          {...detail}
          nodeFilter={{ status: 'all', page: 1 }}
          alertPage={1}
          problem={problem}
        />,
      );
    });
}
