import { requestId } from 'hono/request-id';
import { secureHeaders } from 'hono/secure-headers';
import { amGroupsRoutes } from './alerting/am-groups-route';
import { amReceiversRoutes } from './alerting/am-receivers-route';
import { alertApiRoutes } from './alerting/api-routes';
import { resolvedAlertRoutes } from './alerting/resolved-routes';
import { silenceRoutes } from './alerting/silence-routes';
import { authenticate } from './auth/authenticate';
import { discoveryRoutes } from './auth/discovery-routes';
import { oauthRoutes } from './auth/oauth-routes';
import { tokenRoutes } from './auth/token-routes';
import { registerNamespaceSync } from './clusters/namespace-sync';
import { clusterRoutes } from './clusters/routes';
import { appRoutes } from './delivery/routes';
import { onError, onNotFound } from './error-handlers';
import { iamRoutes } from './iam/routes';
import { loginRoutes } from './identity/login-routes';
import { identityProviderRoutes } from './identity/routes';
import { billRoutes } from './metering/bill-routes';
import { retentionRoutes } from './metering/retention-routes';
import { meteringRoutes } from './metering/routes';
import { audit } from './middleware/audit';
import { limitBody, requireJson } from './middleware/body';
import { database } from './middleware/database';
import { notificationRoutes } from './notify/routes';
import { createRouter } from './openapi';
import { overviewRoutes } from './overview/routes';
import { projectionSync } from './projection/sync-trigger';
import { registerQuotaNamespaceHooks } from './quotas/namespace-hook';
import { quotaRoutes } from './quotas/routes';
import { builtinRuleRoutes } from './rules/builtin-routes';
import { prometheusApiRoutes } from './rules/prometheus-api';
import { alertRuleRoutes } from './rules/routes';
import { mountApiDocs } from './system/docs';
import { systemRoutes } from './system/routes';
import { createUiRoutes } from './ui/routes';

export function createApp() {
  const app = createRouter();

  // Extension points of the namespace placement routes (iam/namespace-hooks.ts),
  // wired here and nowhere else. Order matters: the cluster side (create or
  // delete the namespace in its cluster) runs before the quota re-push.
  registerNamespaceSync();
  registerQuotaNamespaceHooks();

  app.use('*', requestId({ headerName: 'x-request-id' }));
  app.use('*', secureHeaders({ crossOriginResourcePolicy: false }));
  app.use('*', database);
  app.use('*', limitBody());
  app.use('/api/*', requireJson);
  app.use('/api/*', audit);
  app.use('/api/*', authenticate);
  // After a mutation that can change a cluster's RoleBindings, its projection is recomputed.
  app.use('/api/*', projectionSync);
  // The kube API proxy authenticates like /api (kubectl sends the same bearer tokens).
  app.use('/clusters/*', audit);
  app.use('/clusters/*', authenticate);

  app.route('/', systemRoutes);
  app.route('/', oauthRoutes);
  app.route('/', discoveryRoutes);
  app.route('/', tokenRoutes);
  app.route('/', loginRoutes);
  // Route families (each a sub-app with its own file under functions/<area>/):
  app.route('/', clusterRoutes);
  // Alerting rules (issue #15): fleet, cluster and namespace levels, built-ins, Prometheus' API.
  app.route('/', alertRuleRoutes);
  app.route('/', builtinRuleRoutes);
  app.route('/', prometheusApiRoutes);
  app.route('/api/v1', iamRoutes);
  app.route('/', alertApiRoutes);
  app.route('/', amGroupsRoutes);
  app.route('/', amReceiversRoutes);
  app.route('/', resolvedAlertRoutes);
  app.route('/', silenceRoutes);
  app.route('/', notificationRoutes);
  app.route('/api/v1', identityProviderRoutes);
  app.route('/api/v1', quotaRoutes);
  app.route('/api/v1', appRoutes);
  app.route('/', overviewRoutes);
  app.route('/', meteringRoutes);
  app.route('/', retentionRoutes);
  app.route('/', billRoutes);
  // The dashboard calls the API in-process through the app's own fetch.
  app.route(
    '/',
    createUiRoutes((request, env, ctx) => app.fetch(request, env, ctx)),
  );

  mountApiDocs(app);
  app.notFound(onNotFound);
  app.onError(onError);
  return app;
}

export const app = createApp();
export type App = typeof app;
