// Pairing a Telegram account with a team: one-time codes made in the dashboard (hashed, an hour,
// rate-limited guesses), redeemed with /start or /pair; the team's pairings and default agent.
import { and, asc, count, eq, gt, isNull, or, sql } from "drizzle-orm";
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
import { type Db, literalRow } from "../db/client";
import { telegramPairAttempts, telegramPairingCodes, telegramPairings, telegramSettings, tenants } from "../db/schema";
import { getAgentRow } from "./agents";
import { type AuditBy, auditStatement, NO_CLIENT, telegramActor } from "./audit";
import { underCap } from "./entitlements";
import { newId, randomBytes, sha256 } from "./crypto";
import { DomainError, notFound } from "./errors";
import { assertTelegramEnabled, telegramConfig } from "./telegram";

/** Failed pairing attempts a Telegram user may make per window before being told to wait. */
export const PAIR_ATTEMPTS = 5;
export const PAIR_WINDOW_MS = 15 * 60_000;

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
  const cfg = assertTelegramEnabled(s);
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
export async function unpair(db: Db, tenantId: string, telegramUserId: number, by: AuditBy): Promise<TelegramPairing[]> {
  const mine = and(eq(telegramPairings.tenantId, tenantId), eq(telegramPairings.telegramUserId, telegramUserId));
  // The entry first, while the pairing is there to name it; both or neither (one batch).
  const [, removed] = await db.batch([
    auditStatement(
      db,
      tenantId,
      by,
      {
        action: "telegram.unpaired",
        target: {
          kind: "telegram",
          id: String(telegramUserId),
          label: sql`(select coalesce('@' || ${telegramPairings.username}, ${telegramPairings.name}) from ${telegramPairings} where ${mine})`,
        },
      },
      sql`exists (select 1 from ${telegramPairings} where ${mine})`,
    ),
    db.delete(telegramPairings).where(mine).returning({ id: telegramPairings.telegramUserId }),
  ]);
  if (!removed.length) throw notFound("Pairing");
  return listPairings(db, tenantId);
}

/** Which agent answers paired people who have not picked one; answers with the Telegram status. */
export async function setDefaultAgent(db: Db, s: Settings, tenantId: string, agentId: string | null, by: AuditBy): Promise<TelegramStatus> {
  const agent = agentId ? await getAgentRow(db, tenantId, agentId) : null; // another tenant's agent is not found
  await db.batch([
    db
      .insert(telegramSettings)
      .values({ tenantId, defaultAgentId: agentId })
      .onConflictDoUpdate({ target: telegramSettings.tenantId, set: { defaultAgentId: agentId } }),
    auditStatement(db, tenantId, by, {
      action: "telegram.default_agent_set",
      target: agent ? { kind: "agent", id: agent.id, label: agent.name } : undefined,
      metadata: { agentId },
    }),
  ]);
  return telegramStatus(db, s, tenantId);
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
  /** The plan's say on seats in the code's team: its cap (null: none), and a refusal in words. */
  seats: { cap(tenantId: string): Promise<number | null>; refusal(tenantId: string): Promise<string | null> } = {
    cap: async () => null,
    refusal: async () => null,
  },
  now = new Date(),
): Promise<RedeemResult> {
  // Every attempt is counted first, atomically, so guesses sent in parallel cannot slip past the limit.
  // A successful one counts too: redeeming a code of one's own must not reset the count between guesses.
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
  const previous = await db.query.telegramPairings.findFirst({ where: eq(telegramPairings.telegramUserId, person.id) });
  const values = {
    tenantId: row.tenantId,
    chatId: person.chatId,
    name: person.name,
    username: person.username ?? null,
    agentId: null,
    pairedAt: now,
    // Codes are made by members (API keys cannot pair): removing that member unpairs this account.
    pairedByUserId: row.createdBy.startsWith("apikey:") ? null : row.createdBy,
  };
  // One batch: the code is spent only while the team has a free seat (an account already paired with
  // it keeps its own), and the pairing is made only by the update that spent it. Two people racing for
  // one code, or for the last seat: one wins.
  const cap = await seats.cap(row.tenantId);
  const spentHere = and(
    eq(telegramPairingCodes.id, row.id),
    eq(telegramPairingCodes.usedBy, person.id),
    eq(telegramPairingCodes.usedAt, now),
  );
  const actor = telegramActor({ id: person.id, username: person.username, first_name: person.name });
  const [claimed] = await db.batch([
    db
      .update(telegramPairingCodes)
      .set({ usedAt: now, usedBy: person.id })
      .where(
        and(eq(telegramPairingCodes.id, row.id), isNull(telegramPairingCodes.usedAt), underCap.telegramSeats(row.tenantId, cap, person.id)),
      )
      .returning({ tenantId: telegramPairingCodes.tenantId }),
    db
      .insert(telegramPairings)
      .select(
        db
          .select(literalRow(telegramPairings, { telegramUserId: person.id, ...values }))
          .from(telegramPairingCodes)
          .where(spentHere),
      )
      .onConflictDoUpdate({ target: telegramPairings.telegramUserId, set: values }),
    auditStatement(
      db,
      row.tenantId,
      { actor, client: NO_CLIENT },
      {
        action: "telegram.paired",
        target: { kind: "telegram", id: actor.id, label: actor.label },
        metadata: { pairedBy: values.pairedByUserId },
      },
    ),
  ]);
  if (!claimed.length) {
    // Spent by someone else, or no seat (refused before the code is spent, so it works once one is free).
    const refusal = await seats.refusal(row.tenantId);
    return refusal ? { ok: false, reason: "no-seat", message: refusal } : { ok: false, reason: "used", attemptsLeft };
  }
  const names = await db.query.tenants.findMany({ where: or(eq(tenants.id, row.tenantId), eq(tenants.id, previous?.tenantId ?? "")) });
  const nameOf = (id?: string) => names.find((t) => t.id === id)?.name;
  return {
    ok: true,
    tenantName: nameOf(row.tenantId) ?? "your team",
    ...(previous && previous.tenantId !== row.tenantId && { movedFrom: nameOf(previous.tenantId) }),
  };
}
