// A run's reply in Telegram, sent exactly once to each of its chats when the run ends (the asker's, or
// each person who opted in to a schedule), split under Telegram's limit, plain text; retried by the
// reaper when a send fails; "typing…" while a Telegram run works.
import { and, eq, inArray, isNull, lt, or, sql } from "drizzle-orm";
import { FINAL_STATUSES } from "@autoclaw/shared";
import { runs, telegramReplies } from "../db/schema";
import { bound, prepared } from "../db/client";
import { type budgetLimitsRead, budgetOfRunRead, releaseTelegramBudgetNotice, telegramBudgetNotice } from "./budgets";
import type { TelegramDeps } from "./telegram";

/** Telegram's limit is 4096 characters per message; stay a little under it. */
export const TELEGRAM_MESSAGE_LIMIT = 4000;

/** Splits a reply into messages under Telegram's limit, preferring paragraph, then line, then word breaks. */
export function splitMessage(text: string, limit = TELEGRAM_MESSAGE_LIMIT): string[] {
  const parts: string[] = [];
  let rest = text.trim();
  while (rest.length > limit) {
    const window = rest.slice(0, limit);
    const cut = [window.lastIndexOf("\n\n"), window.lastIndexOf("\n"), window.lastIndexOf(" ")].find((i) => i > limit / 2) ?? limit;
    parts.push(rest.slice(0, cut).trimEnd());
    rest = rest.slice(cut).trimStart();
  }
  if (rest) parts.push(rest);
  return parts.length ? parts : ["(The agent gave an empty answer.)"];
}

function replyText(run: typeof runs.$inferSelect): string | undefined {
  // A schedule's reply comes unasked: it says what it is.
  if (run.source === "schedule" && run.status === "succeeded") return `⏰ Scheduled: ${run.input.slice(0, 80)}\n\n${run.output ?? ""}`;
  if (run.status === "succeeded") return run.output ?? "";
  if (run.status === "failed") return `Sorry, that did not work: ${run.error ?? "unknown error"}`;
  if (run.status === "canceled") return "That request was cancelled.";
  return undefined; // not finished
}

/** A reply claimed this long ago whose send never finished (its sender went away) may be claimed again. */
const CLAIM_LAPSES_MS = 5 * 60_000;

// Every Telegram run's reply makes these: prepared once per isolate (times in ms).
const replyQueries = prepared((db) => {
  const runId = sql.placeholder("runId");
  const mine = and(eq(telegramReplies.runId, runId), eq(telegramReplies.chatId, sql.placeholder("chatId")));
  return {
    claim: db
      .update(telegramReplies)
      .set({ claimedAt: sql`${sql.placeholder("now")}` })
      .where(
        and(
          eq(telegramReplies.runId, runId),
          isNull(telegramReplies.sentAt),
          or(isNull(telegramReplies.claimedAt), lt(telegramReplies.claimedAt, sql.placeholder("stale"))),
          sql`exists (select 1 from ${runs} where ${runs.id} = ${runId} and ${inArray(runs.status, [...FINAL_STATUSES])})`,
        ),
      )
      .returning()
      .prepare(),
    run: db.select().from(runs).where(eq(runs.id, runId)).prepare(),
    sent: db
      .update(telegramReplies)
      .set({ sentAt: sql`${sql.placeholder("now")}` })
      .where(mine)
      .prepare(),
    chat: db.select({ chatId: telegramReplies.chatId }).from(telegramReplies).where(eq(telegramReplies.runId, runId)).prepare(),
  };
});

/**
 * Sends a finished run's reply to each chat it is owed to. Exactly once per chat: each reply row is
 * claimed with a conditional update, and marked sent after Telegram accepted every part. A send that
 * fails is released for the reaper to try again. Replies go out as plain text, so nothing in them is
 * read as formatting. Answers how many chats it reached.
 */
export async function sendRunReply(deps: TelegramDeps, runId: string, now = new Date()): Promise<number> {
  const { db } = deps;
  // One round trip: the replies are claimed only once the run has ended, and read with it the run and its team's budget.
  const q = replyQueries(db);
  const v = { runId, now: now.getTime(), stale: now.getTime() - CLAIM_LAPSES_MS };
  const [claimed, [run], budget] = await db.batch([bound(q.claim, v), bound(q.run, v), budgetOfRunRead(db, runId)]);
  const text = run ? replyText(run) : undefined;
  if (!run || text === undefined) return 0;
  const sent = await Promise.all(claimed.map((c) => sendTo(deps, run.tenantId, runId, c.chatId, text, now, budget)));
  return sent.filter(Boolean).length;
}

async function sendTo(
  deps: TelegramDeps,
  tenantId: string,
  runId: string,
  chatId: number,
  text: string,
  now: Date,
  budget: Awaited<ReturnType<typeof budgetLimitsRead>>,
): Promise<boolean> {
  const { db } = deps;
  // Near or past the team's budget: this person hears it once a month, on the reply's last line.
  const notice = await telegramBudgetNotice(db, tenantId, chatId, now, budget).catch(() => null);
  try {
    for (const part of splitMessage(notice ? `${text}\n\n⚠️ ${notice}` : text))
      await deps.api.sendMessage(chatId, part, { link_preview_options: { is_disabled: true } });
  } catch (e) {
    await db
      .update(telegramReplies)
      .set({ claimedAt: null })
      .where(and(eq(telegramReplies.runId, runId), eq(telegramReplies.chatId, chatId)));
    if (notice) await releaseTelegramBudgetNotice(db, tenantId, chatId);
    console.error(`telegram reply for run ${runId} failed, will retry:`, e instanceof Error ? e.message : e);
    return false;
  }
  await bound(replyQueries(db).sent, { runId, chatId, now: Date.now() });
  return true;
}

/** The reaper's pass: replies of finished runs that were never sent (a failed send, a lost executor). */
export async function sendPendingReplies(deps: TelegramDeps, now = new Date()): Promise<number> {
  const pending = await deps.db
    .selectDistinct({ runId: telegramReplies.runId })
    .from(telegramReplies)
    .innerJoin(runs, eq(runs.id, telegramReplies.runId))
    .where(
      and(
        isNull(telegramReplies.sentAt),
        or(eq(runs.status, "succeeded"), eq(runs.status, "failed"), eq(runs.status, "canceled")),
        lt(runs.finishedAt, new Date(now.getTime() - 30_000)),
      ),
    )
    .limit(50);
  let sent = 0;
  for (const p of pending) sent += await sendRunReply(deps, p.runId, now);
  return sent;
}

/** A reply sooner than this after the turn starts needs no "typing…" (it would only flash, and Telegram counts every call). */
export const TYPING_AFTER_MS = 1_000;

/** Shows "typing…" in the chat while a Telegram run executes past TYPING_AFTER_MS (Telegram clears it after ~5 s). */
export function keepTyping(deps: TelegramDeps, runId: string): () => void {
  let stopped = false;
  let pings: ReturnType<typeof setInterval> | undefined;
  const start = setTimeout(() => {
    void bound(replyQueries(deps.db).chat, { runId }).then(([r]) => {
      if (!r || stopped) return;
      const ping = () => void deps.api.sendChatAction(r.chatId, "typing").catch(() => undefined);
      ping();
      pings = setInterval(ping, 4_500);
    });
  }, TYPING_AFTER_MS);
  return () => {
    stopped = true;
    clearTimeout(start);
    clearInterval(pings);
  };
}
