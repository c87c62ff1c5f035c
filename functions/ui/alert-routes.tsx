import { type Context, Hono } from 'hono';
import { z } from 'zod';
import { notFound } from '../errors';
import { visibleAlerts } from '../overview/visible-alerts';
import { visibleClusterRecords } from '../overview/visible-clusters';
import { type ApiAnswer, callApi } from './api-client';
import { orThrow } from './api-errors';
import type { FormProblem } from './forms/form-problem';
import {
  AlertsBody,
  type ChannelItem,
  type DeliveryItem,
  type ReceiverItem,
  type SilenceItem,
  silenceDurations,
} from './pages/alerts';
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
const idForm = z.object({ id: z.string().min(1).max(64) });
const testForm = idForm.extend({ name: z.string().max(253).default('') });
const noticeQuery = z.object({
  notice: z.enum(['silenced', 'tested', 'expired', 'created', 'deleted']).optional(),
  until: z.iso.datetime().optional(),
  name: z.string().max(253).optional(),
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
  return visibleAlerts(
    c.env,
    db,
    principal,
    clusters.map((r) => r.name),
    Date.now(),
  );
}

/**
 * The alerts page as the signed-in user sees it; a form that was not saved
 * comes back on it with its problem (and the problem's status).
 */
export async function renderAlertsPage(
  c: Context<UiEnv>,
  api: ApiFetch,
  extra: { notice?: string | undefined; problem?: FormProblem | undefined },
) {
  const i18n = c.get('i18n');
  const [alerts, resolved, silences, channels, receivers, history] = await Promise.all([
    alertsOfVisibleClusters(c),
    callApi<ResolvedItem[]>(c, api, '/api/v1/alerts/resolved?limit=50'),
    callApi<SilenceItem[]>(c, api, '/api/v2/silences'),
    callApi<{ items: ChannelItem[] }>(c, api, '/api/v1/notification/channels?limit=100'),
    callApi<{ items: ReceiverItem[] }>(c, api, '/api/v1/notification/receivers?limit=100'),
    callApi<{ items: DeliveryItem[] }>(c, api, '/api/v1/notification/history?limit=20'),
  ]);
  const now = Date.now();
  return renderPage(
    c,
    { title: i18n.t('alerts.title'), section: 'alerts', status: extra.problem?.status ?? 200 },
    <AlertsBody
      i18n={i18n}
      csrf={c.get('csrf')}
      alerts={alerts.sort((a, b) => b.startsAt - a.startsAt)}
      resolved={optional(resolved)}
      silences={(optional(silences) ?? []).filter(
        (s) => s.status.state !== 'expired' || now - Date.parse(s.endsAt) < 86_400_000,
      )}
      channels={optional(channels)}
      receivers={optional(receivers)}
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
      return renderAlertsPage(c, api, { notice: noticeOf(c, query) });
    })
    .post('/ui/alerts/silence', requireSession, async (c) => {
      const input = await formInput(c, silenceForm);
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
      orThrow(answer);
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
