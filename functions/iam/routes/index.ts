import { createRouter } from '../../openapi';
import { auditRoutes } from './audit';
import { groupRoutes } from './groups';
import { meRoutes } from './me';
import { clusterMemberRoutes, namespaceMemberRoutes, workspaceMemberRoutes } from './members';
import { namespaceRoutes } from './namespaces';
import { roleRoutes } from './roles';
import { userRoutes } from './users';
import { workspaceRoutes } from './workspaces';

/**
 * Multi-tenant IAM, mounted at /api/v1: users, workspaces and their members,
 * groups, namespace placements and roles, cluster members, and the audit log.
 * Cluster records themselves belong to the clusters routes.
 */
export const iamRoutes = createRouter()
  .route('/', meRoutes)
  .route('/', userRoutes)
  .route('/', workspaceRoutes)
  .route('/', workspaceMemberRoutes)
  .route('/', groupRoutes)
  .route('/', namespaceRoutes)
  .route('/', namespaceMemberRoutes)
  .route('/', roleRoutes)
  .route('/', clusterMemberRoutes)
  .route('/', auditRoutes);
