CREATE TABLE `telegram_pair_attempts` (
	`telegram_user_id` integer PRIMARY KEY NOT NULL,
	`window_start` integer NOT NULL,
	`failures` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `telegram_pairing_codes` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`code_hash` text NOT NULL,
	`created_by` text NOT NULL,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	`expires_at` integer NOT NULL,
	`used_at` integer,
	`used_by` integer,
	FOREIGN KEY (`tenant_id`) REFERENCES `tenants`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `telegram_pairing_codes_code_hash_unique` ON `telegram_pairing_codes` (`code_hash`);--> statement-breakpoint
CREATE INDEX `telegram_codes_tenant_idx` ON `telegram_pairing_codes` (`tenant_id`,`expires_at`);--> statement-breakpoint
CREATE TABLE `telegram_pairings` (
	`telegram_user_id` integer PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`chat_id` integer NOT NULL,
	`name` text NOT NULL,
	`username` text,
	`agent_id` text,
	`paired_at` integer NOT NULL,
	FOREIGN KEY (`tenant_id`) REFERENCES `tenants`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`agent_id`) REFERENCES `agents`(`id`) ON UPDATE no action ON DELETE set null
);
--> statement-breakpoint
CREATE INDEX `telegram_pairings_tenant_idx` ON `telegram_pairings` (`tenant_id`);--> statement-breakpoint
CREATE TABLE `telegram_replies` (
	`run_id` text PRIMARY KEY NOT NULL,
	`chat_id` integer NOT NULL,
	`claimed_at` integer,
	`sent_at` integer,
	FOREIGN KEY (`run_id`) REFERENCES `runs`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `telegram_settings` (
	`tenant_id` text PRIMARY KEY NOT NULL,
	`default_agent_id` text,
	FOREIGN KEY (`tenant_id`) REFERENCES `tenants`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`default_agent_id`) REFERENCES `agents`(`id`) ON UPDATE no action ON DELETE set null
);
--> statement-breakpoint
CREATE TABLE `telegram_updates` (
	`update_id` integer PRIMARY KEY NOT NULL,
	`received_at` integer NOT NULL,
	`handled_at` integer
);
--> statement-breakpoint
ALTER TABLE `runs` ADD `conversation` text;