CREATE TABLE `schedule_firings` (
	`schedule_id` text NOT NULL,
	`fire_at` integer NOT NULL,
	`status` text NOT NULL,
	`run_id` text,
	`reason` text,
	`recorded_at` integer NOT NULL,
	PRIMARY KEY(`schedule_id`, `fire_at`),
	FOREIGN KEY (`schedule_id`) REFERENCES `schedules`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `schedules` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`agent_id` text NOT NULL,
	`cron` text NOT NULL,
	`timezone` text NOT NULL,
	`input` text NOT NULL,
	`conversation_id` text,
	`paused` integer DEFAULT false NOT NULL,
	`next_fire_at` integer,
	`created_by` text NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`tenant_id`) REFERENCES `tenants`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `schedules_due_idx` ON `schedules` (`next_fire_at`);--> statement-breakpoint
CREATE INDEX `schedules_tenant_idx` ON `schedules` (`tenant_id`,`agent_id`);--> statement-breakpoint
CREATE TABLE `triggers` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`agent_id` text NOT NULL,
	`name` text NOT NULL,
	`template` text NOT NULL,
	`secret_hash` text NOT NULL,
	`created_by` text NOT NULL,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	`last_used_at` integer,
	`revoked_at` integer,
	`window_start` integer,
	`window_hits` integer DEFAULT 0 NOT NULL,
	FOREIGN KEY (`tenant_id`) REFERENCES `tenants`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `triggers_tenant_idx` ON `triggers` (`tenant_id`,`agent_id`);