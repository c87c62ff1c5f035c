CREATE TABLE `alert_rules` (
	`id` text PRIMARY KEY NOT NULL,
	`level` text NOT NULL,
	`scope_key` text NOT NULL,
	`cluster_id` text,
	`workspace_id` text,
	`namespace` text,
	`cluster_selector` text,
	`name` text NOT NULL,
	`group_name` text DEFAULT 'default' NOT NULL,
	`interval_seconds` integer DEFAULT 60 NOT NULL,
	`expr` text NOT NULL,
	`for_seconds` integer DEFAULT 0 NOT NULL,
	`keep_firing_for_seconds` integer DEFAULT 0 NOT NULL,
	`severity` text NOT NULL,
	`labels` text DEFAULT '{}' NOT NULL,
	`annotations` text DEFAULT '{}' NOT NULL,
	`disabled` integer DEFAULT false NOT NULL,
	`created_by` text,
	`created_at` integer NOT NULL,
	`updated_by` text,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`cluster_id`) REFERENCES `clusters`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`workspace_id`) REFERENCES `workspaces`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `alert_rules_scope_name_idx` ON `alert_rules` (`scope_key`,`name`);--> statement-breakpoint
CREATE INDEX `alert_rules_cluster_idx` ON `alert_rules` (`cluster_id`);--> statement-breakpoint
CREATE INDEX `alert_rules_workspace_idx` ON `alert_rules` (`workspace_id`);--> statement-breakpoint
CREATE TABLE `builtin_rule_settings` (
	`cluster_id` text NOT NULL,
	`rule` text NOT NULL,
	`disabled` integer DEFAULT false NOT NULL,
	`for_seconds` integer,
	`threshold` text,
	`severity` text,
	`updated_by` text,
	`updated_at` integer NOT NULL,
	PRIMARY KEY(`cluster_id`, `rule`),
	FOREIGN KEY (`cluster_id`) REFERENCES `clusters`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `monitoring_dashboards` (
	`id` text PRIMARY KEY NOT NULL,
	`scope_key` text NOT NULL,
	`cluster_id` text NOT NULL,
	`workspace_id` text,
	`namespace` text,
	`name` text NOT NULL,
	`title` text NOT NULL,
	`position` integer DEFAULT 0 NOT NULL,
	`panels` text DEFAULT '[]' NOT NULL,
	`created_by` text,
	`created_at` integer NOT NULL,
	`updated_by` text,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`cluster_id`) REFERENCES `clusters`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`workspace_id`) REFERENCES `workspaces`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `monitoring_dashboards_scope_name_idx` ON `monitoring_dashboards` (`scope_key`,`name`);--> statement-breakpoint
CREATE INDEX `monitoring_dashboards_cluster_idx` ON `monitoring_dashboards` (`cluster_id`);--> statement-breakpoint
CREATE INDEX `monitoring_dashboards_workspace_idx` ON `monitoring_dashboards` (`workspace_id`);