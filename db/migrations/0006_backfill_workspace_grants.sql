-- Custom migration: clusters in which a workspace already has namespaces
-- placed become granted to it, so an upgrade keeps every tenant's access.
INSERT OR IGNORE INTO `workspace_clusters` (`workspace_id`, `cluster_id`, `granted_by`, `created_at`)
SELECT `workspace_id`, `cluster_id`, 'migration', MIN(`created_at`) FROM `namespaces` GROUP BY `workspace_id`, `cluster_id`;
