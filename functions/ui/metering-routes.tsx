import { type Context, Hono } from 'hono';
import { z } from 'zod';
import { can, platformScope } from '../iam/authorize';

import type { MeteringResponse } from '../metering/metering-schema';
import type { priceResponse } from '../metering/price-schema';
import { callApi } from './api-client';
import { orThrow } from './api-errors';
import { apiProblem, type FormProblem, readForm } from './forms/form-problem';
import { priceForm, priceFormFields } from './forms/price-form';
import { MeteringBody, meteringLevels, meteringRanges } from './pages/metering';
import { paramsInput, renderPage } from './render';
import { requireSession } from './session';
import type { ApiFetch, UiEnv } from './ui-env';

const rangeKeys = Object.keys(meteringRanges) as [keyof typeof meteringRanges];
const meteringQuery = z.object({
  level: z.enum(meteringLevels).default('cluster'),
  range: z.enum(rangeKeys).default('1d'),
  notice: z.literal('priced').optional(),
  from: z.iso.datetime().optional(),
});

/** The page's view: which level and period, and what a form left to say. */
interface MeteringView {
  level: (typeof meteringLevels)[number];
  range: keyof typeof meteringRanges;
  notice?: string | undefined;
  priceProblem?: FormProblem | undefined;
}

/** The metering page as the signed-in user sees it (a refused price form comes back on it). */
async function renderMeteringPage(c: Context<UiEnv>, api: ApiFetch, view: MeteringView) {
  const { level, range } = view;
  const end = Math.floor(Date.now() / 1000);
  const start = end - meteringRanges[range];
  const step = range === '1d' ? '1h' : range === '7d' ? '6h' : '1d';
  const [usage, workspaces, price] = await Promise.all([
    callApi<MeteringResponse>(
      c,
      api,
      `/api/v1/metering?level=${level}&start=${start}&end=${end}&step=${step}`,
    ),
    callApi<{ items: { name: string }[] }>(c, api, '/api/v1/workspaces?limit=200'),
    callApi<z.infer<typeof priceResponse>>(c, api, '/api/v1/metering/prices'),
  ]);
  return renderPage(
    c,
    {
      title: c.get('i18n').t('metering.title'),
      section: 'metering',
      status: view.priceProblem?.status ?? 200,
    },
    <MeteringBody
      i18n={c.get('i18n')}
      csrf={c.get('csrf')}
      level={level}
      range={range}
      usage={orThrow(usage)}
      workspaces={workspaces.ok ? workspaces.body.items.map((w) => w.name) : []}
      // Prices are shown to those who set them (the same check as PUT /api/v1/metering/prices).
      price={
        price.ok && can(c.get('principal'), 'update', 'metering', platformScope)
          ? price.body
          : undefined
      }
      notice={view.notice}
      priceProblem={view.priceProblem}
    />,
  );
}

/** Usage charts, bill CSV downloads and prices: GET /api/v1/metering and friends as the user. */
export function uiMeteringRoutes(api: ApiFetch) {
  return new Hono<UiEnv>()
    .get('/ui/metering', requireSession, async (c) => {
      const { level, range, notice, from } = paramsInput(meteringQuery, c.req.query(), 'query');
      const i18n = c.get('i18n');
      const saved =
        notice === 'priced' && from
          ? i18n.t('price.saved', { time: i18n.dateTime(from) })
          : undefined;
      return renderMeteringPage(c, api, { level, range, notice: saved });
    })
    .post('/ui/metering/prices', requireSession, async (c) => {
      const input = await readForm(c, 'price', priceForm, priceFormFields);
      const page = { level: 'cluster', range: '1d' } as const;
      if (!input.ok) return renderMeteringPage(c, api, { ...page, priceProblem: input.problem });
      // The API decides who may (platform admins) and audits the change.
      const answer = await callApi<{ effectiveFrom: number | null }>(
        c,
        api,
        '/api/v1/metering/prices',
        { method: 'PUT', json: input.data },
      );
      if (!answer.ok)
        return renderMeteringPage(c, api, {
          ...page,
          priceProblem: apiProblem('price', answer, input.values),
        });
      const from = new Date((answer.body.effectiveFrom ?? 0) * 1000).toISOString();
      return c.redirect(`/ui/metering?notice=priced&from=${encodeURIComponent(from)}`, 303);
    });
}
