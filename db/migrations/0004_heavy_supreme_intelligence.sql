CREATE TABLE `notification_send_slots` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`key` text NOT NULL,
	`at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `notification_send_slots_key_at_idx` ON `notification_send_slots` (`key`,`at`);