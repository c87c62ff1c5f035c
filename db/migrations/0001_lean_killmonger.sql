CREATE TABLE `workspace_quotas` (
	`workspace_id` text PRIMARY KEY NOT NULL,
	`hard` text NOT NULL,
	`revision` integer NOT NULL,
	`updated_by` text,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`workspace_id`) REFERENCES `workspaces`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `workspace_quota_usage` (
	`workspace_id` text NOT NULL,
	`cluster_id` text NOT NULL,
	`used` text NOT NULL,
	`reported_at` integer NOT NULL,
	PRIMARY KEY(`workspace_id`, `cluster_id`),
	FOREIGN KEY (`workspace_id`) REFERENCES `workspaces`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`cluster_id`) REFERENCES `clusters`(`id`) ON UPDATE no action ON DELETE cascade
);
