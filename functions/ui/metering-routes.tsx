import { Hono } from 'hono';
import { z } from 'zod';
import { can, platformScope } from '../iam/authorize';
import { wsParam } from '../iam/schemas';
import type { MeteringResponse } from '../metering/metering-schema';
import type { priceResponse } from '../metering/price-schema';
import { callApi, callApiRaw } from './api-client';
import { orThrow } from './api-errors';
import { MeteringBody, meteringLevels, meteringRanges } from './pages/metering';
import { paramsInput, renderPage } from './render';
import { requireSession } from './session';
import type { ApiFetch, UiEnv } from './ui-env';

const rangeKeys = Object.keys(meteringRanges) as [keyof typeof meteringRanges];
const meteringQuery = z.object({
  level: z.enum(meteringLevels).default('cluster'),
  range: z.enum(rangeKeys).default('1d'),
});

/** Usage charts, bill CSV downloads and prices: GET /api/v1/metering and friends as the user. */
export function uiMeteringRoutes(api: ApiFetch) {
  return new Hono<UiEnv>()
    .get('/ui/metering', requireSession, async (c) => {
      const { level, range } = paramsInput(meteringQuery, c.req.query(), 'query');
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
        { title: c.get('i18n').t('metering.title'), section: 'metering' },
        <MeteringBody
          i18n={c.get('i18n')}
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
        />,
      );
    })
    .get('/ui/workspaces/:ws/bill.csv', requireSession, async (c) => {
      const { ws } = paramsInput(wsParam, c.req.param(), 'param');
      // The API's own CSV (RFC 4180) and file name, passed through as an attachment.
      const response = await callApiRaw(c, api, `/api/v1/workspaces/${ws}/bill?format=csv`);
      if (!response.ok)
        orThrow({
          status: response.status,
          ok: false,
          body: await response.json().catch(() => null),
        });
      return new Response(response.body, {
        status: 200,
        headers: {
          'content-type': response.headers.get('content-type') ?? 'text/csv; charset=utf-8',
          'content-disposition':
            response.headers.get('content-disposition') ?? `attachment; filename="${ws}-bill.csv"`,
        },
      });
    });
}
