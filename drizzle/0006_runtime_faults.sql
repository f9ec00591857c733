CREATE TABLE `workspace_versions` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`tenant_id` text NOT NULL,
	`agent_id` text NOT NULL,
	`path` text NOT NULL,
	`sha256` text NOT NULL,
	`size` integer NOT NULL,
	`r2_key` text NOT NULL,
	`reason` text NOT NULL,
	`run_id` text,
	`created_at` integer NOT NULL,
	`expires_at` integer NOT NULL,
	FOREIGN KEY (`tenant_id`) REFERENCES `tenants`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `workspace_versions_file_idx` ON `workspace_versions` (`tenant_id`,`agent_id`,`path`,`created_at`);--> statement-breakpoint
CREATE INDEX `workspace_versions_expiry_idx` ON `workspace_versions` (`expires_at`);--> statement-breakpoint
ALTER TABLE `model_usage` ADD `agent_id` text;--> statement-breakpoint
ALTER TABLE `model_usage` ADD `error` text;--> statement-breakpoint
ALTER TABLE `tenant_openclaw_runtime` ADD `workspace_id` text;