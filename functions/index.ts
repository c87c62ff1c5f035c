import type { DeliveryMessage } from './alerting/route';
import { app } from './app';
import type { Env } from './env';
import { runHousekeeping } from './housekeeping';
import { consumeNotifications } from './notify/consumer';

export { AlertGroups } from './alerting/alert-groups';
export { MeteringStore } from './metering/metering-store';
export { ClusterTunnel } from './tunnel/cluster-tunnel';

export default {
  fetch: app.fetch,
  async scheduled(controller, env) {
    // Awaited (not waitUntil) so a failed task marks the cron run as failed.
    await runHousekeeping(env, new Date(controller.scheduledTime));
  },
  async queue(batch, env) {
    await consumeNotifications(batch as MessageBatch<DeliveryMessage>, env);
  },
} satisfies ExportedHandler<Env>;
