import { type Context, Hono } from 'hono';
import { z } from 'zod';
import type { Principal } from '../../db/principal';
import { tenancyOf } from '../../db/queries/alerts';
import type { AlertView } from '../alerting/alert-groups';
import { mayOnLabels } from '../alerting/alert-scope';
import { ownerOf, scopeOfOwner } from '../alerting/owner';
import { badRequest, notFound } from '../errors';
import { can } from '../iam/authorize';
import { mayOnOwner } from '../notify/owners';
import { visibleAlerts } from '../overview/visible-alerts';
import { visibleClusterRecords } from '../overview/visible-clusters';
import { type ApiAnswer, callApi } from './api-client';
import { orThrow } from './api-errors';
import { apiProblem, type FormProblem, readForm } from './forms/form-problem';
import {
  type AlertFilter,
  AlertsBody,
  type AlertsRights,
  type ChannelItem,
  type DeliveryItem,
  type ReceiverItem,
  type SilenceItem,
  silenceDurations,
  silenceStateFilters,
} from './pages/alerts';
import { ConfirmBody } from './pages/confirm';
import type { ResolvedItem } from './pages/resolved-alerts';
import { formInput, paramsInput, renderPage } from './render';
import { requireSession } from './session';
import type { ApiFetch, UiEnv } from './ui-env';

type Ctx = Parameters<typeof callApi>[0];

const durationKeys = Object.keys(silenceDurations) as [keyof typeof silenceDurations];
const silenceForm = z.object({
  fingerprint: z.string().regex(/^[0-9a-f]{16}$/, 'an alert fingerprint'),
  cluster: z.string().max(63).default(''),
  duration: z.enum(durationKeys),
  comment: z.string().trim().min(1).max(1024),
});
/** What a refused silence form is filled with again (the alert it belongs to included). */
const silenceRefill = ['fingerprint', 'cluster', 'duration', 'comment'] as const;
const idForm = z.object({ id: z.string().min(1).max(64) });
const testForm = idForm.extend({ name: z.string().max(253).default('') });
const noticeQuery = z.object({
  notice: z.enum(['silenced', 'tested', 'expired', 'created', 'deleted']).optional(),
  until: z.iso.datetime().optional(),
  name: z.string().max(253).optional(),
  severity: z.enum(['all', 'critical', 'warning', 'info', 'none']).default('all'),
  cluster: z.string().max(63).default(''),
  page: z.coerce.number().int().min(1).max(10_000).default(1),
  spage: z.coerce.number().int().min(1).max(10_000).default(1),
  xpage: z.coerce.number().int().min(1).max(10_000).default(1),
  xstate: z.enum(silenceStateFilters).default('all'),
});
const confirmQuery = z.object({
  id: z.string().min(1).max(64),
  name: z.string().max(253).default(''),
});

/** Lists the caller may not read (403/404) are left out of the page rather than failing it. */
const optional = <T,>(answer: ApiAnswer<{ items: T[] } | T[]>): T[] | undefined => {
  if (answer.status === 403 || answer.status === 404) return undefined;
  const body = orThrow(answer);
  return Array.isArray(body) ? body : body.items;
};

async function alertsOfVisibleClusters(c: Ctx) {
  const db = c.get('db');
  const principal = c.get('principal');
  const clusters = await visibleClusterRecords(db, principal);
  const alerts = await visibleAlerts(
    c.env,
    db,
    principal,
    clusters.map((r) => r.name),
    Date.now(),
  );
  return { alerts, clusters: clusters.map((r) => r.name) };
}

/** The labels a silence pins with equality matchers (the silences API scopes it by these). */
const pinned = (s: SilenceItem) =>
  Object.fromEntries(
    s.matchers.filter((m) => !m.isRegex && m.isEqual !== false).map((m) => [m.name, m.value]),
  );

/** Creating channels or receivers: at the platform or any workspace / cluster of the user's roles. */
function mayCreateOwned(principal: Principal, resource: 'channels' | 'receivers') {
  const owners = [
    'platform',
    ...principal.bindings.flatMap((b) =>
      b.scopeType === 'workspace'
        ? [ownerOf({ workspaceId: b.scopeId })]
        : b.scopeType === 'cluster'
          ? [ownerOf({ clusterId: b.scopeId })]
          : [],
    ),
  ];
  return owners.some((o) => can(principal, 'create', resource, scopeOfOwner(o)));
}

/** What the page offers, decided with the API's own can() checks on the same scopes. */
async function rightsOf(
  c: Ctx,
  alerts: AlertView[],
  silences: SilenceItem[],
  channels: ChannelItem[] | undefined,
  receivers: ReceiverItem[] | undefined,
): Promise<AlertsRights> {
  const principal = c.get('principal');
  const tenancy = await tenancyOf(c.get('db'), [
    ...alerts.map((a) => a.labels),
    ...silences.map(pinned),
  ]);
  const ids = <T extends { id: string; owner: string }>(
    items: T[] | undefined,
    verb: string,
    resource: string,
  ) =>
    new Set(
      (items ?? []).filter((i) => mayOnOwner(principal, verb, resource, i.owner)).map((i) => i.id),
    );
  return {
    silenceable: new Set(
      alerts
        .filter((a) => mayOnLabels(principal, 'create', 'silences', a.labels, tenancy))
        .map((a) => a.fingerprint),
    ),
    expirable: new Set(
      silences
        .filter((s) => mayOnLabels(principal, 'delete', 'silences', pinned(s), tenancy))
        .map((s) => s.id),
    ),
    createChannels: mayCreateOwned(principal, 'channels'),
    createReceivers: mayCreateOwned(principal, 'receivers'),
    testChannels: ids(channels, 'update', 'channels'),
    deleteChannels: ids(channels, 'delete', 'channels'),
    deleteReceivers: ids(receivers, 'delete', 'receivers'),
  };
}

/**
 * The alerts page as the signed-in user sees it; a form that was not saved
 * comes back on it with its problem (and the problem's status).
 */
export async function renderAlertsPage(
  c: Context<UiEnv>,
  api: ApiFetch,
  extra: {
    notice?: string | undefined;
    problem?: FormProblem | undefined;
    filter?: AlertFilter;
  },
) {
  const i18n = c.get('i18n');
  const [{ alerts, clusters }, resolved, silences, channels, receivers, history] =
    await Promise.all([
      alertsOfVisibleClusters(c),
      callApi<ResolvedItem[]>(c, api, '/api/v1/alerts/resolved?limit=50'),
      callApi<SilenceItem[]>(c, api, '/api/v2/silences'),
      callApi<{ items: ChannelItem[] }>(c, api, '/api/v1/notification/channels?limit=100'),
      callApi<{ items: ReceiverItem[] }>(c, api, '/api/v1/notification/receivers?limit=100'),
      callApi<{ items: DeliveryItem[] }>(c, api, '/api/v1/notification/history?limit=20'),
    ]);
  const now = Date.now();
  const shownSilences = (optional(silences) ?? []).filter(
    (s) => s.status.state !== 'expired' || now - Date.parse(s.endsAt) < 86_400_000,
  );
  const channelList = optional(channels);
  const receiverList = optional(receivers);
  const rights = await rightsOf(c, alerts, shownSilences, channelList, receiverList);
  return renderPage(
    c,
    { title: i18n.t('alerts.title'), section: 'alerts', status: extra.problem?.status ?? 200 },
    <AlertsBody
      i18n={i18n}
      csrf={c.get('csrf')}
      alerts={alerts.sort((a, b) => b.startsAt - a.startsAt)}
      rights={rights}
      filter={
        extra.filter ?? { severity: 'all', cluster: '', page: 1, spage: 1, xpage: 1, xstate: 'all' }
      }
      clusters={clusters}
      resolved={optional(resolved)}
      silences={shownSilences}
      channels={channelList}
      receivers={receiverList}
      history={optional(history)}
      notice={extra.notice}
      problem={extra.problem}
    />,
  );
}

/** The notice a redirect after a form put in the query, worded for the page. */
function noticeOf(c: Context<UiEnv>, query: z.infer<typeof noticeQuery>) {
  const i18n = c.get('i18n');
  const name = query.name ?? '';
  switch (query.notice) {
    case 'silenced':
      return query.until
        ? i18n.t('alerts.silenced', { time: i18n.dateTime(query.until) })
        : undefined;
    case 'tested':
      return i18n.t('alerts.tested', { name });
    case 'created':
      return i18n.t('edit.created', { name });
    case 'deleted':
      return i18n.t('edit.deleted', { name });
    default:
      return undefined;
  }
}

/** Alerts: firing and silenced, silence from an alert, silences, channels with a test button, deliveries. */
export function uiAlertRoutes(api: ApiFetch) {
  return new Hono<UiEnv>()
    .get('/ui/alerts', requireSession, async (c) => {
      const query = paramsInput(noticeQuery, c.req.query(), 'query');
      return renderAlertsPage(c, api, {
        notice: noticeOf(c, query),
        filter: {
          severity: query.severity,
          cluster: query.cluster,
          page: query.page,
          spage: query.spage,
          xpage: query.xpage,
          xstate: query.xstate,
        },
      });
    })
    .get('/ui/alerts/:kind{channels|receivers}/delete', requireSession, async (c) => {
      const kind = c.req.param('kind') as 'channels' | 'receivers';
      const { id, name } = paramsInput(confirmQuery, c.req.query(), 'query');
      // Ask the API first, so another tenant's channel id is its 404 here too (receivers
      // have no single GET; their delete answers 404 for them).
      if (kind === 'channels')
        orThrow(await callApi(c, api, `/api/v1/notification/channels/${encodeURIComponent(id)}`));
      const i18n = c.get('i18n');
      return renderPage(
        c,
        { title: i18n.t('edit.delete'), section: 'alerts' },
        <ConfirmBody
          i18n={i18n}
          csrf={c.get('csrf')}
          question={i18n.t(
            kind === 'channels' ? 'confirm.deleteChannel' : 'confirm.deleteReceiver',
            { name },
          )}
          action={`/ui/alerts/${kind}/delete`}
          fields={{ id, name }}
          submit={i18n.t('edit.delete')}
          cancel="/ui/alerts"
        />,
      );
    })
    .post('/ui/alerts/silence', requireSession, async (c) => {
      const read = await readForm(c, 'silence', silenceForm, silenceRefill);
      // A forged alert reference is not a form to return to; anything typed is.
      if (!read.ok && !/^[0-9a-f]{16}$/.test(read.values.fingerprint ?? ''))
        throw badRequest(`Invalid form: ${read.problem.message}`, read.problem.fields);
      if (!read.ok) return renderAlertsPage(c, api, { problem: read.problem });
      const input = read.data;
      // The alert is looked up among those the caller may see: its labels come from the edge, not the form.
      const principal = c.get('principal');
      const alerts = await visibleAlerts(
        c.env,
        c.get('db'),
        principal,
        input.cluster ? [input.cluster] : [],
        Date.now(),
      );
      const alert = alerts.find((a) => a.fingerprint === input.fingerprint);
      if (!alert) throw notFound(`Alert "${input.fingerprint}"`);
      const startsAt = new Date();
      const endsAt = new Date(startsAt.getTime() + silenceDurations[input.duration] * 1000);
      const answer = await callApi(c, api, '/api/v2/silences', {
        method: 'POST',
        json: {
          matchers: Object.entries(alert.labels).map(([name, value]) => ({
            name,
            value,
            isRegex: false,
            isEqual: true,
          })),
          startsAt: startsAt.toISOString(),
          endsAt: endsAt.toISOString(),
          createdBy: principal.username,
          comment: input.comment,
        },
      });
      if (!answer.ok)
        return renderAlertsPage(c, api, { problem: apiProblem('silence', answer, read.values) });
      return c.redirect(
        `/ui/alerts?notice=silenced&until=${encodeURIComponent(endsAt.toISOString())}`,
        303,
      );
    })
    .post('/ui/alerts/silences/expire', requireSession, async (c) => {
      const { id } = await formInput(c, idForm);
      orThrow(
        await callApi(c, api, `/api/v2/silence/${encodeURIComponent(id)}`, { method: 'DELETE' }),
      );
      return c.redirect('/ui/alerts?notice=expired', 303);
    })
    .post('/ui/alerts/channels/test', requireSession, async (c) => {
      const { id, name } = await formInput(c, testForm);
      orThrow(
        await callApi(c, api, `/api/v1/notification/channels/${encodeURIComponent(id)}/test`, {
          method: 'POST',
        }),
      );
      return c.redirect(`/ui/alerts?notice=tested&name=${encodeURIComponent(name)}`, 303);
    });
}
