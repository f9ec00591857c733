// The one shared Telegram bot's settings and dependencies, and the record of updates handled (so a
// redelivered update does nothing). Pairing is telegram-pairing.ts, who a person talks to and their
// messages as runs telegram-conversations.ts, replies telegram-replies.ts; the grammy wiring is bot/.
import { and, eq, lt, type SQL, sql } from "drizzle-orm";
import type { Api } from "grammy";
import type { Settings } from "../config";
import { bound, type Db, prepared } from "../db/client";
import { telegramUpdates } from "../db/schema";
import { DomainError } from "./errors";
import type { RunDeps } from "./run-records";

export interface TelegramConfig {
  enabled: boolean;
  token?: string;
  username?: string;
  secret?: string;
  apiRoot?: string;
  missing: string[];
}

export function telegramConfig(s: Settings): TelegramConfig {
  const missing = (["TELEGRAM_BOT_TOKEN", "TELEGRAM_BOT_USERNAME", "TELEGRAM_WEBHOOK_SECRET"] as const).filter((k) => !s[k]);
  return {
    enabled: missing.length === 0,
    token: s.TELEGRAM_BOT_TOKEN,
    username: s.TELEGRAM_BOT_USERNAME,
    secret: s.TELEGRAM_WEBHOOK_SECRET,
    apiRoot: s.TELEGRAM_API_ROOT,
    missing,
  };
}

export interface TelegramDeps extends RunDeps {
  /** grammy's Bot API client (token and API root from the settings). */
  api: Api;
}

export function assertTelegramEnabled(s: Settings) {
  const cfg = telegramConfig(s);
  if (!cfg.enabled) throw new DomainError("PRECONDITION_FAILED", `Telegram is off on this AutoClaw: set ${cfg.missing.join(", ")}`);
  return cfg;
}

/**
 * Records an update before it is handled; false when it was handled before (Telegram redelivered
 * it). An update recorded but not marked handled (its handling failed) is handled again.
 */
export async function beginUpdate(db: Db, update: { update_id: number }, now = new Date()): Promise<boolean> {
  return updateIsNew(db, update, await recordUpdate(db, update, now));
}

/** beginUpdate's write, for a caller that makes it in its own batch and then asks `updateIsNew`. */
export const recordUpdate = (db: Db, update: { update_id: number }, now = new Date()) =>
  bound(recordUpdateQuery(db), { id: update.update_id, at: now });

const recordUpdateQuery = prepared((db) =>
  db
    .insert(telegramUpdates)
    .values({ updateId: sql.placeholder("id"), receivedAt: sql.placeholder("at") })
    .onConflictDoNothing()
    .returning({ id: telegramUpdates.updateId })
    .prepare(),
);

export async function updateIsNew(db: Db, update: { update_id: number }, inserted: { id: number }[]): Promise<boolean> {
  if (inserted.length) return true;
  const row = await db.query.telegramUpdates.findFirst({
    where: eq(telegramUpdates.updateId, update.update_id),
    columns: { handledAt: true },
  });
  return !row?.handledAt;
}

export async function markUpdateHandled(db: Db, updateId: number) {
  await markHandled(db, updateId);
}

/** The handled mark as a statement, for a batch (a message's run commits it); `onlyIf` holds it to a condition in the same statement. */
export const markHandled = (db: Db, updateId: number, onlyIf?: SQL) =>
  db
    .update(telegramUpdates)
    .set({ handledAt: new Date() })
    .where(and(eq(telegramUpdates.updateId, updateId), onlyIf));

/** Update ids older than this are forgotten (Telegram gives up redelivering after a day). */
export async function pruneTelegramUpdates(db: Db, now = new Date()) {
  await db.delete(telegramUpdates).where(lt(telegramUpdates.receivedAt, new Date(now.getTime() - 7 * 24 * 3_600_000)));
}
