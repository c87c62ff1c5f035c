CREATE TABLE `workspace_clusters` (
	`workspace_id` text NOT NULL,
	`cluster_id` text NOT NULL,
	`granted_by` text,
	`created_at` integer NOT NULL,
	PRIMARY KEY(`workspace_id`, `cluster_id`),
	FOREIGN KEY (`workspace_id`) REFERENCES `workspaces`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`cluster_id`) REFERENCES `clusters`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `workspace_clusters_cluster_idx` ON `workspace_clusters` (`cluster_id`);