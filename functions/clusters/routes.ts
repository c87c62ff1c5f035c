import { createRouter } from '../openapi';
import { agentConnectRoutes } from '../tunnel/connect-route';
import { edgeJoinRoutes } from './edge-join-routes';
import { clusterInventoryRoutes } from './inventory-routes';
import { kubeProxyRoutes } from './kube-proxy-routes';
import { clusterMonitoringRoutes } from './monitoring-routes';
import { clusterRegistryRoutes } from './registry-routes';

/** Every cluster route: registry, inventory, monitoring, the kube proxy and the agents' socket. */
export const clusterRoutes = createRouter()
  .route('/', clusterRegistryRoutes)
  .route('/', clusterInventoryRoutes)
  .route('/', edgeJoinRoutes)
  .route('/', clusterMonitoringRoutes)
  .route('/', kubeProxyRoutes)
  .route('/', agentConnectRoutes);
