import { createRoute } from '@hono/zod-openapi';
import { badRequest } from '../errors';
import { errors, json, jsonBody, writeErrors } from '../iam/schemas';
import { bearerAuth, createRouter } from '../openapi';
import { runMeteringQuery } from './metering-query';
import { meteringQuerySchema, meteringResponseSchema, withDefaults } from './metering-schema';
import { priceResponse, pricesQuery, putPriceBody } from './price-schema';
import { readPrices, writePrice } from './prices';

const tags = ['metering'];
const nowSeconds = () => Math.floor(Date.now() / 1000);

const query = createRoute({
  method: 'get',
  path: '/api/v1/metering',
  tags,
  security: bearerAuth,
  summary: 'Metered consumption per level: series, totals (sum/min/max/avg) and fees per metric',
  description:
    'Totals are sums of stored quantities, identical whatever the step. Workspace level spans every cluster the workspace has namespaces in.',
  request: { query: meteringQuerySchema },
  responses: { 200: json(meteringResponseSchema, 'Series and totals per selector.'), ...errors },
});

const getPrices = createRoute({
  method: 'get',
  path: '/api/v1/metering/prices',
  tags,
  security: bearerAuth,
  summary:
    'The metering price in effect now (platform, or a cluster with ?cluster=) and its history',
  request: { query: pricesQuery },
  responses: { 200: json(priceResponse, 'The price in effect and the scope history.'), ...errors },
});

const putPrices = createRoute({
  method: 'put',
  path: '/api/v1/metering/prices',
  tags,
  security: bearerAuth,
  summary:
    'Add a price change (platform admins), from a whole hour on; ?cluster= for a cluster override',
  request: { query: pricesQuery, body: jsonBody(putPriceBody) },
  responses: {
    200: json(priceResponse.omit({ history: true }), 'The price as stored.'),
    ...writeErrors,
  },
});

export const meteringRoutes = createRouter()
  .openapi(query, async (c) => {
    const input = withDefaults(c.req.valid('query'), nowSeconds());
    if ('error' in input) throw badRequest(input.error);
    const answer = await runMeteringQuery(
      c.env,
      c.get('db'),
      c.get('principal'),
      input,
      nowSeconds(),
    );
    return c.json(answer, 200);
  })
  .openapi(getPrices, async (c) => {
    const { cluster } = c.req.valid('query');
    return c.json(await readPrices(c.get('db'), c.get('principal'), cluster, nowSeconds()), 200);
  })
  .openapi(putPrices, async (c) => {
    const { cluster } = c.req.valid('query');
    Object.assign(c.get('audit'), {
      resource: 'prices',
      name: cluster ?? 'platform',
      ...(cluster ? { cluster } : {}),
    });
    const price = await writePrice(
      c.get('db'),
      c.get('principal'),
      cluster,
      c.req.valid('json'),
      nowSeconds(),
    );
    return c.json(price, 200);
  });
