CREATE TABLE `alert_inhibit_rules` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`source_matchers` text NOT NULL,
	`target_matchers` text NOT NULL,
	`equal` text DEFAULT '[]' NOT NULL,
	`created_by` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `alert_inhibit_rules_name_idx` ON `alert_inhibit_rules` (`name`);