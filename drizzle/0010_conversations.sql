CREATE TABLE `conversations` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`agent_id` text NOT NULL,
	`owner_id` text NOT NULL,
	`title` text,
	`source` text NOT NULL,
	`scope` text NOT NULL,
	`turns` integer DEFAULT 0 NOT NULL,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	`updated_at` integer NOT NULL,
	`removed_at` integer,
	FOREIGN KEY (`tenant_id`) REFERENCES `tenants`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`agent_id`) REFERENCES `agents`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `conversations_scope_idx` ON `conversations` (`tenant_id`,`agent_id`,`scope`);--> statement-breakpoint
CREATE INDEX `conversations_tenant_updated_idx` ON `conversations` (`tenant_id`,`updated_at`,`id`);--> statement-breakpoint
ALTER TABLE `runs` ADD `conversation_id` text;--> statement-breakpoint
CREATE INDEX `runs_conversation_idx` ON `runs` (`conversation_id`,`created_at`);--> statement-breakpoint
ALTER TABLE `tenants` ADD `conversation_visibility` text DEFAULT 'private' NOT NULL;