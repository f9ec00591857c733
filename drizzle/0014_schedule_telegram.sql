CREATE TABLE `schedule_subscribers` (
	`schedule_id` text NOT NULL,
	`telegram_user_id` integer NOT NULL,
	PRIMARY KEY(`schedule_id`, `telegram_user_id`),
	FOREIGN KEY (`schedule_id`) REFERENCES `schedules`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`telegram_user_id`) REFERENCES `telegram_pairings`(`telegram_user_id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
-- Nothing references telegram_replies, so it is rebuilt with its new key without touching foreign keys.
CREATE TABLE `__new_telegram_replies` (
	`run_id` text NOT NULL,
	`chat_id` integer NOT NULL,
	`claimed_at` integer,
	`sent_at` integer,
	PRIMARY KEY(`run_id`, `chat_id`),
	FOREIGN KEY (`run_id`) REFERENCES `runs`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
INSERT INTO `__new_telegram_replies`("run_id", "chat_id", "claimed_at", "sent_at") SELECT "run_id", "chat_id", "claimed_at", "sent_at" FROM `telegram_replies`;--> statement-breakpoint
DROP TABLE `telegram_replies`;--> statement-breakpoint
ALTER TABLE `__new_telegram_replies` RENAME TO `telegram_replies`;