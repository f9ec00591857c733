ALTER TABLE `api_keys` ADD `scopes` text DEFAULT '["read","runs"]' NOT NULL;--> statement-breakpoint
ALTER TABLE `runs` ADD `created_by` text;--> statement-breakpoint
ALTER TABLE `telegram_pairings` ADD `paired_by_user_id` text;