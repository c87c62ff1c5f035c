import { inhibitRuleRoutes } from '../alerting/inhibit-routes';
import { createRouter } from '../openapi';
import { channelRoutes } from './channel-routes';
import { historyRoutes } from './history-routes';
import { receiverRoutes } from './receiver-routes';

/** `/api/v1/notification/*`: channels, receivers, inhibition rules, delivery history. */
export const notificationRoutes = createRouter()
  .route('/', channelRoutes)
  .route('/', receiverRoutes)
  .route('/', inhibitRuleRoutes)
  .route('/', historyRoutes);
