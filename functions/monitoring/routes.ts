import type { OpenAPIHono } from '@hono/zod-openapi';
import type { AppEnv } from '../env';
import { createRouter } from '../openapi';
import { dashboardRoutes } from './dashboard-routes';
import { nodeMetricsRoutes } from './node-routes';

/** Custom monitoring (issue #15): saved dashboards and node metrics. */
export const monitoringRoutes: OpenAPIHono<AppEnv> = createRouter();
// Widened: the combined route types are too big for the checker, and nothing needs them.
monitoringRoutes.route('/', dashboardRoutes as OpenAPIHono<AppEnv>);
monitoringRoutes.route('/', nodeMetricsRoutes as OpenAPIHono<AppEnv>);
