import type { AlertRoute, RoutedAlert } from '../../../functions/alerting/route';

/** A receiver route with Alertmanager's default timers unless overridden. */
export function route(overrides: Partial<AlertRoute> = {}): AlertRoute {
  return {
    receiverId: 'r1',
    receiverName: 'ops',
    owner: 'platform',
    channelIds: ['c1'],
    groupBy: ['alertname'],
    groupWaitMs: 30_000,
    groupIntervalMs: 300_000,
    repeatIntervalMs: 4 * 3600_000,
    sendResolved: true,
    ...overrides,
  };
}

/** A firing (or, with `endsAt` in the past, resolved) alert routed to `routes`. */
export function routed(
  labels: Record<string, string>,
  times: { startsAt: number; endsAt: number },
  routes: AlertRoute[] = [route()],
): RoutedAlert {
  return {
    alert: {
      labels,
      annotations: { summary: `${labels.alertname} fired` },
      generatorURL: '',
      ...times,
    },
    routes,
  };
}
