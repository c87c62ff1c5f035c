CREATE TABLE `login_throttles` (
	`key` text PRIMARY KEY NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`window_start` integer,
	`locked_until` integer
);
