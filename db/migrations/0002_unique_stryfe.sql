CREATE TABLE `metering_prices` (
	`id` text PRIMARY KEY NOT NULL,
	`cluster_id` text,
	`effective_from` integer NOT NULL,
	`currency` text NOT NULL,
	`cpu_per_core_hour` real NOT NULL,
	`memory_per_gi_b_hour` real NOT NULL,
	`ingress_per_gi_b` real NOT NULL,
	`egress_per_gi_b` real NOT NULL,
	`pvc_per_gi_b_hour` real NOT NULL,
	`created_by` text,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`cluster_id`) REFERENCES `clusters`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `metering_prices_scope_idx` ON `metering_prices` (`cluster_id`,`effective_from`);