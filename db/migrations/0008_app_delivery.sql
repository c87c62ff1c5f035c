CREATE TABLE `app_clusters` (
	`app_id` text NOT NULL,
	`cluster_id` text NOT NULL,
	`target_generation` integer DEFAULT 0 NOT NULL,
	`admitted_at` integer,
	`acked_generation` integer DEFAULT 0 NOT NULL,
	`state` text DEFAULT 'pending' NOT NULL,
	`observed_generation` integer DEFAULT 0 NOT NULL,
	`message` text,
	`resources` text DEFAULT '[]' NOT NULL,
	`connection_id` text,
	`ready_at` integer,
	`removing` integer DEFAULT false NOT NULL,
	`expires_at` integer,
	`updated_at` integer NOT NULL,
	PRIMARY KEY(`app_id`, `cluster_id`),
	FOREIGN KEY (`app_id`) REFERENCES `apps`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`cluster_id`) REFERENCES `clusters`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `app_clusters_cluster_idx` ON `app_clusters` (`cluster_id`);--> statement-breakpoint
CREATE TABLE `apps` (
	`id` text PRIMARY KEY NOT NULL,
	`workspace_id` text NOT NULL,
	`name` text NOT NULL,
	`namespace` text NOT NULL,
	`generation` integer DEFAULT 1 NOT NULL,
	`spec` text NOT NULL,
	`manifests` text NOT NULL,
	`editor_user` text NOT NULL,
	`editor_groups` text NOT NULL,
	`halted` text,
	`delete_timeout_seconds` integer NOT NULL,
	`deleting_at` integer,
	`created_by` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`workspace_id`) REFERENCES `workspaces`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `apps_workspace_name_idx` ON `apps` (`workspace_id`,`name`);--> statement-breakpoint
CREATE TABLE `delivery_links` (
	`cluster_id` text PRIMARY KEY NOT NULL,
	`connection_id` text NOT NULL,
	`since` integer NOT NULL,
	FOREIGN KEY (`cluster_id`) REFERENCES `clusters`(`id`) ON UPDATE no action ON DELETE cascade
);
