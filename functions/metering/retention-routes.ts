import { createRoute } from '@hono/zod-openapi';
import { clusterNameParam } from '../clusters/schemas';
import { errors, json, jsonBody, writeErrors } from '../iam/schemas';
import { bearerAuth, createRouter } from '../openapi';
import { readRetentionOf, writeRetentionOf } from './retention';
import { putRetentionBody, retentionResponse } from './retention-schema';

const tags = ['metering'];
const path = '/api/v1/clusters/{c}/metering/retention';

const getRetention = createRoute({
  method: 'get',
  path,
  tags,
  security: bearerAuth,
  summary: "How long the cluster's metering store keeps minute, hourly and daily facts",
  request: { params: clusterNameParam },
  responses: { 200: json(retentionResponse, 'Retention in days (0: forever).'), ...errors },
});

const putRetention = createRoute({
  method: 'put',
  path,
  tags,
  security: bearerAuth,
  summary:
    "Set the cluster's metering retention (platform admins, cluster admins); applied by the store's hourly prune",
  request: { params: clusterNameParam, body: jsonBody(putRetentionBody) },
  responses: { 200: json(retentionResponse, 'The retention as stored.'), ...writeErrors },
});

export const retentionRoutes = createRouter()
  .openapi(getRetention, async (c) => {
    const { c: cluster } = c.req.valid('param');
    return c.json(await readRetentionOf(c.env, c.get('db'), c.get('principal'), cluster), 200);
  })
  .openapi(putRetention, async (c) => {
    const { c: cluster } = c.req.valid('param');
    // Audited as resource `retention` of cluster `c` (from the path, so refused input is too).
    const view = await writeRetentionOf(
      c.env,
      c.get('db'),
      c.get('principal'),
      cluster,
      c.req.valid('json'),
    );
    return c.json(view, 200);
  });
