CREATE TABLE `model_usage` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`tenant_id` text NOT NULL,
	`model` text NOT NULL,
	`status` integer NOT NULL,
	`input_tokens` integer DEFAULT 0 NOT NULL,
	`output_tokens` integer DEFAULT 0 NOT NULL,
	`at` integer NOT NULL,
	FOREIGN KEY (`tenant_id`) REFERENCES `tenants`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `model_usage_tenant_at_idx` ON `model_usage` (`tenant_id`,`at`);--> statement-breakpoint
CREATE TABLE `tenant_openclaw_runtime` (
	`tenant_id` text PRIMARY KEY NOT NULL,
	`state` text NOT NULL,
	`version` text NOT NULL,
	`generation` integer DEFAULT 0 NOT NULL,
	`model_token_hash` text,
	`config_hash` text,
	`starting_until` integer,
	`started_at` integer,
	`last_active_at` integer,
	`last_error` text,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`tenant_id`) REFERENCES `tenants`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `tenant_runtime_token_idx` ON `tenant_openclaw_runtime` (`model_token_hash`);