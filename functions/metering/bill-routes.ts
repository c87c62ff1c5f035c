import { createRoute } from '@hono/zod-openapi';
import { errors, json, wsParam } from '../iam/schemas';
import { bearerAuth, createRouter } from '../openapi';
import { billCsv, billFilename, workspaceBill } from './bill';
import { billQuery, billSchema } from './bill-schema';
import { monthStart, workspaceSummary } from './summary';
import { summarySchema } from './summary-schema';

const tags = ['metering'];
const nowSeconds = () => Math.floor(Date.now() / 1000);

const bill = createRoute({
  method: 'get',
  path: '/api/v1/workspaces/{ws}/bill',
  tags,
  security: bearerAuth,
  summary:
    "A workspace's bill per namespace, workload or cluster (JSON, or RFC 4180 CSV with format=csv)",
  request: { params: wsParam, query: billQuery },
  responses: {
    200: {
      description: 'The bill; with format=csv a text/csv attachment.',
      content: {
        'application/json': { schema: billSchema },
        'text/csv': { schema: { type: 'string' } },
      },
    },
    ...errors,
  },
});

const summary = createRoute({
  method: 'get',
  path: '/api/v1/workspaces/{ws}/metering/summary',
  tags,
  security: bearerAuth,
  summary: 'Dashboard card: this month so far, last month, top 5 namespaces, a 30-day daily trend',
  request: { params: wsParam },
  responses: { 200: json(summarySchema, 'The summary.'), ...errors },
});

export const billRoutes = createRouter()
  .openapi(bill, async (c) => {
    const { ws } = c.req.valid('param');
    const query = c.req.valid('query');
    const now = nowSeconds();
    const result = await workspaceBill(
      c.env,
      c.get('db'),
      c.get('principal'),
      ws,
      { start: query.start ?? monthStart(now), end: query.end ?? now, groupBy: query.groupBy },
      now,
    );
    if (query.format === 'json') return c.json(result, 200);
    return c.body(billCsv(result), 200, {
      'Content-Type': 'text/csv; charset=utf-8',
      'Content-Disposition': `attachment; filename="${billFilename(result)}"`,
    });
  })
  .openapi(summary, async (c) => {
    const { ws } = c.req.valid('param');
    return c.json(
      await workspaceSummary(c.env, c.get('db'), c.get('principal'), ws, nowSeconds()),
      200,
    );
  });
