// The one shared Telegram bot's rules: pairing codes, which tenant and agent a Telegram user talks
// to, turning their messages into runs, and sending each run's reply back exactly once. The grammy
// wiring (webhook, commands) is in webhooks/telegram.ts; this file has no HTTP.
import { and, asc, count, eq, gt, inArray, isNull, lt, or, sql } from "drizzle-orm";
import type { Api } from "grammy";
import {
  MAX_PENDING_PAIRING_CODES,
  PAIRING_CODE_ALPHABET,
  PAIRING_CODE_LENGTH,
  PAIRING_CODE_TTL_MS,
  type PairingCode,
  type TelegramPairing,
  type TelegramStatus,
} from "@autoclaw/shared";
import type { Settings } from "../config";
import type { Db } from "../db/client";
import {
  agents,
  runs,
  telegramPairAttempts,
  telegramPairingCodes,
  telegramPairings,
  telegramReplies,
  telegramSettings,
  telegramUpdates,
  tenants,
} from "../db/schema";
import { getAgentRow } from "./agents";
import { billingStatus } from "./entitlements";
import { runtimeStateWord } from "./runtime";
import { newId, randomBytes, sha256 } from "./crypto";
import { DomainError, notFound } from "./errors";
import type { RunDeps } from "./run-records";
import { createRun } from "./runs";

/** Telegram's limit is 4096 characters per message; stay a little under it. */
export const TELEGRAM_MESSAGE_LIMIT = 4000;
/** Failed pairing attempts a Telegram user may make per window before being told to wait. */
export const PAIR_ATTEMPTS = 5;
export const PAIR_WINDOW_MS = 15 * 60_000;

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

// ── Dashboard side: codes, pairings, the default agent ──────────────────────────────────────────────

function assertEnabled(s: Settings) {
  const cfg = telegramConfig(s);
  if (!cfg.enabled) throw new DomainError("PRECONDITION_FAILED", `Telegram is off on this AutoClaw: set ${cfg.missing.join(", ")}`);
  return cfg;
}

const hashCode = (code: string) => sha256(`telegram-pairing:${code}`);

function newCode(): string {
  // Rejection sampling keeps every character equally likely (256 is not a multiple of the alphabet).
  const limit = 256 - (256 % PAIRING_CODE_ALPHABET.length);
  let code = "";
  while (code.length < PAIRING_CODE_LENGTH) {
    for (const b of randomBytes(16))
      if (b < limit && code.length < PAIRING_CODE_LENGTH) code += PAIRING_CODE_ALPHABET[b % PAIRING_CODE_ALPHABET.length];
  }
  return code;
}

export async function createPairingCode(db: Db, s: Settings, tenantId: string, userId: string, now = new Date()): Promise<PairingCode> {
  const cfg = assertEnabled(s);
  const [pending] = await db
    .select({ n: count() })
    .from(telegramPairingCodes)
    .where(and(eq(telegramPairingCodes.tenantId, tenantId), isNull(telegramPairingCodes.usedAt), gt(telegramPairingCodes.expiresAt, now)));
  if ((pending?.n ?? 0) >= MAX_PENDING_PAIRING_CODES) {
    throw new DomainError(
      "PRECONDITION_FAILED",
      `At most ${MAX_PENDING_PAIRING_CODES} pairing codes can be pending: use one, or wait for one to expire`,
    );
  }
  const code = newCode();
  const expiresAt = new Date(now.getTime() + PAIRING_CODE_TTL_MS);
  await db
    .insert(telegramPairingCodes)
    .values({ id: newId("tpc"), tenantId, codeHash: await hashCode(code), createdBy: userId, createdAt: now, expiresAt });
  return { code, link: `https://t.me/${cfg.username}?start=${code}`, expiresAt: expiresAt.toISOString() };
}

export async function telegramStatus(db: Db, s: Settings, tenantId: string, now = new Date()): Promise<TelegramStatus> {
  const cfg = telegramConfig(s);
  const [settingsRow, codes] = await Promise.all([
    db.query.telegramSettings.findFirst({ where: eq(telegramSettings.tenantId, tenantId) }),
    db.query.telegramPairingCodes.findMany({
      where: and(eq(telegramPairingCodes.tenantId, tenantId), isNull(telegramPairingCodes.usedAt), gt(telegramPairingCodes.expiresAt, now)),
      orderBy: asc(telegramPairingCodes.expiresAt),
    }),
  ]);
  return {
    enabled: cfg.enabled,
    botUsername: cfg.username ?? null,
    missingSettings: cfg.missing,
    defaultAgentId: settingsRow?.defaultAgentId ?? null,
    pendingCodes: codes.map((c) => ({ id: c.id, expiresAt: c.expiresAt.toISOString() })),
  };
}

export async function listPairings(db: Db, tenantId: string): Promise<TelegramPairing[]> {
  const rows = await db.query.telegramPairings.findMany({
    where: eq(telegramPairings.tenantId, tenantId),
    orderBy: asc(telegramPairings.pairedAt),
  });
  return rows.map((r) => ({
    telegramUserId: r.telegramUserId,
    name: r.name,
    username: r.username,
    pairedAt: r.pairedAt.toISOString(),
    agentId: r.agentId,
  }));
}

/** An admin unpairs someone; answers with the pairings that remain. */
export async function unpair(db: Db, tenantId: string, telegramUserId: number): Promise<TelegramPairing[]> {
  const removed = await db
    .delete(telegramPairings)
    .where(and(eq(telegramPairings.tenantId, tenantId), eq(telegramPairings.telegramUserId, telegramUserId)))
    .returning({ id: telegramPairings.telegramUserId });
  if (!removed.length) throw notFound("Pairing");
  return listPairings(db, tenantId);
}

/** Which agent answers paired people who have not picked one; answers with the Telegram status. */
export async function setDefaultAgent(db: Db, s: Settings, tenantId: string, agentId: string | null): Promise<TelegramStatus> {
  if (agentId) await getAgentRow(db, tenantId, agentId); // another tenant's agent is not found
  await db
    .insert(telegramSettings)
    .values({ tenantId, defaultAgentId: agentId })
    .onConflictDoUpdate({ target: telegramSettings.tenantId, set: { defaultAgentId: agentId } });
  return telegramStatus(db, s, tenantId);
}

// ── Bot side ────────────────────────────────────────────────────────────────────────────────────────

/**
 * Records an update before it is handled; false when it was handled before (Telegram redelivered
 * it). An update recorded but not marked handled (its handling failed) is handled again.
 */
export async function beginUpdate(db: Db, update: { update_id: number }, now = new Date()): Promise<boolean> {
  const inserted = await db
    .insert(telegramUpdates)
    .values({ updateId: update.update_id, receivedAt: now })
    .onConflictDoNothing()
    .returning({ id: telegramUpdates.updateId });
  if (inserted.length) return true;
  const row = await db.query.telegramUpdates.findFirst({
    where: eq(telegramUpdates.updateId, update.update_id),
    columns: { handledAt: true },
  });
  return !row?.handledAt;
}

export async function markUpdateHandled(db: Db, updateId: number) {
  await db.update(telegramUpdates).set({ handledAt: new Date() }).where(eq(telegramUpdates.updateId, updateId));
}

export interface TelegramPerson {
  id: number;
  chatId: number;
  name: string;
  username?: string;
}

export type RedeemResult =
  | { ok: true; tenantName: string; movedFrom?: string }
  | { ok: false; reason: "unknown" | "expired" | "used"; attemptsLeft: number }
  | { ok: false; reason: "no-seat"; message: string }
  | { ok: false; reason: "rate-limited"; retryInMinutes: number };

/** `/start <code>` or `/pair <code>`: binds the Telegram user to the code's tenant. */
export async function redeemPairingCode(
  db: Db,
  person: TelegramPerson,
  rawCode: string,
  /** The plan's say: why this person cannot take a seat in the code's team (null: they can). */
  seatRefusal: (tenantId: string) => Promise<string | null> = async () => null,
  now = new Date(),
): Promise<RedeemResult> {
  // Every attempt is counted first, atomically, so guesses sent in parallel cannot slip past the limit;
  // a successful pairing clears the count.
  const fresh = sql`${telegramPairAttempts.windowStart} < ${now.getTime() - PAIR_WINDOW_MS}`;
  const [attempt] = await db
    .insert(telegramPairAttempts)
    .values({ telegramUserId: person.id, windowStart: now, failures: 1 })
    .onConflictDoUpdate({
      target: telegramPairAttempts.telegramUserId,
      set: {
        failures: sql`case when ${fresh} then 1 else ${telegramPairAttempts.failures} + 1 end`,
        windowStart: sql`case when ${fresh} then ${now.getTime()} else ${telegramPairAttempts.windowStart} end`,
      },
    })
    .returning();
  if (attempt!.failures > PAIR_ATTEMPTS) {
    return {
      ok: false,
      reason: "rate-limited",
      retryInMinutes: Math.max(1, Math.ceil((attempt!.windowStart.getTime() + PAIR_WINDOW_MS - now.getTime()) / 60_000)),
    };
  }
  const attemptsLeft = PAIR_ATTEMPTS - attempt!.failures;
  const code = rawCode.trim().toUpperCase();
  const row = /^[A-Z0-9]{4,16}$/.test(code)
    ? await db.query.telegramPairingCodes.findFirst({ where: eq(telegramPairingCodes.codeHash, await hashCode(code)) })
    : undefined;
  const failure = !row ? "unknown" : row.usedAt ? "used" : row.expiresAt <= now ? "expired" : undefined;
  if (failure || !row) return { ok: false, reason: failure ?? "unknown", attemptsLeft };
  // No seat: refused before the code is spent, so it works once a seat is free.
  const refusal = await seatRefusal(row.tenantId);
  if (refusal) return { ok: false, reason: "no-seat", message: refusal };
  // Single use: only the update that flips used_at pairs (two people racing for one code: one wins).
  const [claimed] = await db
    .update(telegramPairingCodes)
    .set({ usedAt: now, usedBy: person.id })
    .where(and(eq(telegramPairingCodes.id, row.id), isNull(telegramPairingCodes.usedAt)))
    .returning({ tenantId: telegramPairingCodes.tenantId });
  if (!claimed) return { ok: false, reason: "used", attemptsLeft };
  const previous = await db.query.telegramPairings.findFirst({ where: eq(telegramPairings.telegramUserId, person.id) });
  const values = {
    tenantId: claimed.tenantId,
    chatId: person.chatId,
    name: person.name,
    username: person.username ?? null,
    agentId: null,
    pairedAt: now,
  };
  await db.batch([
    db
      .insert(telegramPairings)
      .values({ telegramUserId: person.id, ...values })
      .onConflictDoUpdate({ target: telegramPairings.telegramUserId, set: values }),
    db.delete(telegramPairAttempts).where(eq(telegramPairAttempts.telegramUserId, person.id)),
  ]);
  const names = await db.query.tenants.findMany({ where: or(eq(tenants.id, claimed.tenantId), eq(tenants.id, previous?.tenantId ?? "")) });
  const nameOf = (id?: string) => names.find((t) => t.id === id)?.name;
  return {
    ok: true,
    tenantName: nameOf(claimed.tenantId) ?? "your team",
    ...(previous && previous.tenantId !== claimed.tenantId && { movedFrom: nameOf(previous.tenantId) }),
  };
}

export interface Conversation {
  pairing: typeof telegramPairings.$inferSelect;
  tenantName: string;
  /** The agent that answers this person now (their pick, else the team's default, else its oldest). */
  agent?: typeof agents.$inferSelect;
  agents: (typeof agents.$inferSelect)[];
}

/** Who a Telegram user is to AutoClaw: undefined when not paired. */
export async function conversationOf(db: Db, telegramUserId: number): Promise<Conversation | undefined> {
  // Every message asks this: one D1 round trip, the team found by a subquery on the pairing.
  const team = db
    .select({ id: telegramPairings.tenantId })
    .from(telegramPairings)
    .where(eq(telegramPairings.telegramUserId, telegramUserId));
  const [[pairing], [tenant], [settingsRow], list] = await db.batch([
    db.select().from(telegramPairings).where(eq(telegramPairings.telegramUserId, telegramUserId)),
    db.select({ name: tenants.name }).from(tenants).where(inArray(tenants.id, team)),
    db.select({ defaultAgentId: telegramSettings.defaultAgentId }).from(telegramSettings).where(inArray(telegramSettings.tenantId, team)),
    db
      .select()
      .from(agents)
      .where(and(inArray(agents.tenantId, team), isNull(agents.deletedAt)))
      .orderBy(asc(agents.createdAt)),
  ]);
  if (!pairing) return undefined;
  const pick = (id?: string | null) => (id ? list.find((a) => a.id === id) : undefined);
  return {
    pairing,
    tenantName: tenant?.name ?? "your team",
    agent: pick(pairing.agentId) ?? pick(settingsRow?.defaultAgentId) ?? list[0],
    agents: list,
  };
}

/** `/agent <n|name>`: the agent by its number in the list (1-based) or its name, any case. */
export function agentNamed(conv: Conversation, arg: string): typeof agents.$inferSelect | undefined {
  const byNumber = /^\d+$/.test(arg) ? conv.agents[Number(arg) - 1] : undefined;
  return byNumber ?? conv.agents.find((a) => a.name.toLowerCase() === arg.toLowerCase());
}

/** `/status`: the person's team, agent, runtime and plan, one line each. */
export async function statusText(deps: RunDeps, conv: Conversation): Promise<string> {
  const tenantId = conv.pairing.tenantId;
  const [runtime, bill] = await Promise.all([runtimeStateWord(deps.runtime, tenantId), billingStatus(deps, tenantId)]);
  const plan = bill.billingEnabled
    ? `${bill.planName} (${bill.status.replace("_", " ")})${bill.reason ? ` — ${bill.reason}` : ""}`
    : "Development (billing is off on this AutoClaw)";
  return [`Team: ${conv.tenantName}`, `Agent: ${conv.agent?.name ?? "none yet"}`, `Runtime: ${runtime}`, `Plan: ${plan}`].join("\n");
}

export async function chooseAgent(db: Db, telegramUserId: number, agentId: string | null) {
  await db.update(telegramPairings).set({ agentId }).where(eq(telegramPairings.telegramUserId, telegramUserId));
}

export async function unpairSelf(db: Db, telegramUserId: number) {
  await db.delete(telegramPairings).where(eq(telegramPairings.telegramUserId, telegramUserId));
}

/** A paired user's message: a run of their agent in their own conversation, answered when it ends. */
export async function startTelegramRun(deps: RunDeps, conv: Conversation, text: string, idempotencyKey: string): Promise<{ id: string }> {
  if (!conv.agent) throw new DomainError("PRECONDITION_FAILED", "Your team has no agents yet: create one in AutoClaw first.");
  const { db } = deps;
  const chatId = conv.pairing.chatId;
  return createRun(deps, conv.pairing.tenantId, { agentId: conv.agent.id, input: text, idempotencyKey }, "telegram", {
    conversation: `telegram:${conv.pairing.telegramUserId}`,
    also: (runId) => [db.insert(telegramReplies).values({ runId, chatId })],
  });
}

// ── Replies ─────────────────────────────────────────────────────────────────────────────────────────

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
  if (run.status === "succeeded") return run.output ?? "";
  if (run.status === "failed") return `Sorry, that did not work: ${run.error ?? "unknown error"}`;
  if (run.status === "canceled") return "That request was cancelled.";
  return undefined; // not finished
}

/**
 * Sends a finished Telegram run's reply. Exactly once: the reply row is claimed with a conditional
 * update, and marked sent after Telegram accepted every part. A send that fails is released for the
 * reaper to try again. Replies go out as plain text, so nothing in them is read as formatting.
 */
export async function sendRunReply(deps: TelegramDeps, runId: string, now = new Date()): Promise<"sent" | "skipped"> {
  const { db } = deps;
  const [run] = await db.select().from(runs).where(eq(runs.id, runId));
  const text = run && replyText(run);
  if (text === undefined) return "skipped";
  const [claimed] = await db
    .update(telegramReplies)
    .set({ claimedAt: now })
    .where(
      and(
        eq(telegramReplies.runId, runId),
        isNull(telegramReplies.sentAt),
        or(isNull(telegramReplies.claimedAt), lt(telegramReplies.claimedAt, new Date(now.getTime() - 5 * 60_000))),
      ),
    )
    .returning();
  if (!claimed) return "skipped";
  try {
    for (const part of splitMessage(text))
      await deps.api.sendMessage(claimed.chatId, part, { link_preview_options: { is_disabled: true } });
  } catch (e) {
    await db.update(telegramReplies).set({ claimedAt: null }).where(eq(telegramReplies.runId, runId));
    console.error(`telegram reply for run ${runId} failed, will retry:`, e instanceof Error ? e.message : e);
    return "skipped";
  }
  await db.update(telegramReplies).set({ sentAt: new Date() }).where(eq(telegramReplies.runId, runId));
  return "sent";
}

/** The reaper's pass: replies of finished runs that were never sent (a failed send, a lost executor). */
export async function sendPendingReplies(deps: TelegramDeps, now = new Date()): Promise<number> {
  const pending = await deps.db
    .select({ runId: telegramReplies.runId })
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
  for (const p of pending) if ((await sendRunReply(deps, p.runId, now)) === "sent") sent++;
  return sent;
}

/** Shows "typing…" in the chat while a Telegram run executes (Telegram clears it after ~5 s). */
export function keepTyping(deps: TelegramDeps, runId: string): () => void {
  let stopped = false;
  let timer: ReturnType<typeof setInterval> | undefined;
  void deps.db
    .select({ chatId: telegramReplies.chatId })
    .from(telegramReplies)
    .where(eq(telegramReplies.runId, runId))
    .then(([r]) => {
      if (!r || stopped) return;
      const ping = () => void deps.api.sendChatAction(r.chatId, "typing").catch(() => undefined);
      ping();
      timer = setInterval(ping, 4_500);
    });
  return () => {
    stopped = true;
    clearInterval(timer);
  };
}

/** Update ids older than this are forgotten (Telegram gives up redelivering after a day). */
export async function pruneTelegramUpdates(db: Db, now = new Date()) {
  await db.delete(telegramUpdates).where(lt(telegramUpdates.receivedAt, new Date(now.getTime() - 7 * 24 * 3_600_000)));
}
