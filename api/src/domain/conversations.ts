// Conversations: an agent's chats, each one OpenClaw session that its turns continue (the agent
// remembers within it). Dashboard chats are made here; a Telegram person's conversation with an agent
// is made by their first message. Every turn is a run, on the same pipeline as any other.
import type {
  CreateRunInput,
  CreateRunResult,
  Conversation,
  ConversationSummary,
  ConversationVisibility,
  ListConversationsQuery,
  RunSource,
  RunStatus,
} from "@autoclaw/shared";
import { and, desc, eq, isNull, lt, ne, or, sql } from "drizzle-orm";
import type { Db } from "../db/client";
import { conversations, runs, telegramPairings, tenants, user } from "../db/schema";
import { getAgentRow } from "./agents";
import { type AuditBy, auditStatement } from "./audit";
import { conversationVisible } from "./conversation-access";
import { newId } from "./crypto";
import { DomainError, notFound } from "./errors";
import type { Actor } from "./principals";
import type { RunDeps } from "./run-records";
import { createRun, decodeCursor, encodeCursor, getRun } from "./runs";

type Row = typeof conversations.$inferSelect;

/** The turns a conversation's page shows (the newest; the runs list has them all). */
const HISTORY_MAX = 200;

const UNTITLED = "New conversation";

/** How a conversation's owner is named: a member's name, the Telegram account, or the API key. */
const ownerName = sql<string | null>`coalesce(
  (select ${user.name} from ${user} where ${user.id} = ${conversations.ownerId}),
  (select ${telegramPairings.name} from ${telegramPairings} where 'telegram:' || ${telegramPairings.telegramUserId} = ${conversations.ownerId})
)`;

function toSummary(r: Row & { ownerName: string | null }, viewer: Actor): ConversationSummary {
  const mine = r.ownerId === viewer.actor;
  return {
    id: r.id,
    agentId: r.agentId,
    title: r.title ?? UNTITLED,
    source: r.source,
    owner: { id: r.ownerId, name: r.ownerName ?? (r.ownerId.startsWith("apikey:") ? "An API key" : "Someone") },
    mine,
    writable: mine && r.source === "webchat",
    turns: r.turns,
    createdAt: r.createdAt.toISOString(),
    updatedAt: r.updatedAt.toISOString(),
  };
}

async function visibleRow(db: Db, tenantId: string, viewer: Actor, id: string) {
  const [row] = await db
    .select({ c: conversations, ownerName })
    .from(conversations)
    .where(
      and(
        eq(conversations.id, id),
        eq(conversations.tenantId, tenantId),
        isNull(conversations.removedAt),
        conversationVisible(viewer, tenantId),
      ),
    );
  if (!row) throw notFound("Conversation");
  return { ...row.c, ownerName: row.ownerName };
}

export async function createConversation(db: Db, tenantId: string, viewer: Actor, input: { agentId: string; title?: string }) {
  const agent = await getAgentRow(db, tenantId, input.agentId);
  const id = newId("conv");
  const now = new Date();
  await db.insert(conversations).values({
    id,
    tenantId,
    agentId: agent.id,
    ownerId: viewer.actor,
    title: input.title ?? null,
    source: "webchat",
    scope: `webchat:${id}`,
    createdAt: now,
    updatedAt: now,
  });
  return getConversation(db, tenantId, viewer, id);
}

/** The conversations the viewer may see, most recently active first. */
export async function listConversations(db: Db, tenantId: string, viewer: Actor, input: ListConversationsQuery) {
  const after = input.cursor ? decodeCursor(input.cursor) : undefined;
  const rows = await db
    .select({ c: conversations, ownerName })
    .from(conversations)
    .where(
      and(
        eq(conversations.tenantId, tenantId),
        isNull(conversations.removedAt),
        conversationVisible(viewer, tenantId),
        input.agentId ? eq(conversations.agentId, input.agentId) : undefined,
        after
          ? or(
              lt(conversations.updatedAt, after.createdAt),
              and(eq(conversations.updatedAt, after.createdAt), lt(conversations.id, after.id)),
            )
          : undefined,
      ),
    )
    .orderBy(desc(conversations.updatedAt), desc(conversations.id))
    .limit(input.limit + 1);
  const page = rows.slice(0, input.limit);
  const last = page.at(-1);
  return {
    items: page.map((r) => toSummary({ ...r.c, ownerName: r.ownerName }, viewer)),
    nextCursor: rows.length > input.limit && last ? encodeCursor({ createdAt: last.c.updatedAt, id: last.c.id }) : null,
  };
}

export async function getConversation(db: Db, tenantId: string, viewer: Actor, id: string): Promise<Conversation> {
  const row = await visibleRow(db, tenantId, viewer, id);
  const turns = await db
    .select()
    .from(runs)
    .where(and(eq(runs.conversationId, id), eq(runs.tenantId, tenantId)))
    .orderBy(desc(runs.createdAt), desc(runs.id))
    .limit(HISTORY_MAX);
  return {
    ...toSummary(row, viewer),
    history: turns.reverse().map((r) => ({
      runId: r.id,
      input: r.input,
      output: r.output,
      status: r.status,
      error: r.error,
      createdAt: r.createdAt.toISOString(),
      finishedAt: r.finishedAt?.toISOString() ?? null,
    })),
  };
}

/** Only its owner, or an overseer, renames or removes a conversation. */
async function ownRow(db: Db, tenantId: string, viewer: Actor, id: string) {
  const row = await visibleRow(db, tenantId, viewer, id);
  if (row.ownerId !== viewer.actor && !viewer.overseer)
    throw new DomainError("FORBIDDEN", "Only the person whose conversation it is, or a team admin, can change it");
  return row;
}

export async function renameConversation(db: Db, tenantId: string, viewer: Actor, input: { id: string; title: string }) {
  await ownRow(db, tenantId, viewer, input.id);
  await db.update(conversations).set({ title: input.title }).where(eq(conversations.id, input.id));
  return getConversation(db, tenantId, viewer, input.id);
}

/** Hides the conversation; its runs and the runtime's transcript of it are kept. */
export async function removeConversation(db: Db, tenantId: string, viewer: Actor, id: string) {
  await ownRow(db, tenantId, viewer, id);
  await db.update(conversations).set({ removedAt: new Date() }).where(eq(conversations.id, id));
  return { id };
}

/**
 * A turn in one of the caller's own conversations: a run that continues its OpenClaw session. Only
 * the owner writes in a conversation; Telegram's are written from Telegram.
 */
export async function sendMessage(
  deps: RunDeps,
  tenantId: string,
  viewer: Actor,
  source: RunSource,
  input: { conversationId: string; input: string; idempotencyKey?: string },
) {
  const row = await writableRow(deps.db, tenantId, viewer, input.conversationId);
  const run = await createRun(deps, tenantId, { agentId: row.agentId, input: input.input, idempotencyKey: input.idempotencyKey }, source, {
    conversation: { id: row.id, scope: row.scope },
    createdBy: viewer.actor,
  });
  return { runId: run.id };
}

async function writableRow(db: Db, tenantId: string, viewer: Actor, id: string) {
  const row = await visibleRow(db, tenantId, viewer, id);
  if (row.ownerId !== viewer.actor) throw new DomainError("FORBIDDEN", "Only the person whose conversation it is can write in it");
  if (row.source !== "webchat") throw new DomainError("PRECONDITION_FAILED", "This conversation is written from Telegram");
  return row;
}

/** runs.create: a run of its own, or, with `conversationId`, a turn of one of the caller's conversations with that agent. */
export async function startRun(
  deps: RunDeps,
  tenantId: string,
  viewer: Actor,
  source: RunSource,
  input: CreateRunInput,
): Promise<CreateRunResult> {
  let created: { id: string; status: RunStatus };
  if (!input.conversationId) created = await createRun(deps, tenantId, input, source, { createdBy: viewer.actor });
  else {
    const row = await writableRow(deps.db, tenantId, viewer, input.conversationId);
    if (row.agentId !== input.agentId) throw new DomainError("BAD_REQUEST", "That conversation is with another agent");
    created = await createRun(deps, tenantId, input, source, { conversation: { id: row.id, scope: row.scope }, createdBy: viewer.actor });
  }
  if (input.waitMs === undefined) return created;
  // The hand-over waited for the run's end (or the wait ran out): the run as it stands now.
  const run = await getRun(deps, tenantId, viewer, created.id);
  return { id: run.id, status: run.status, run };
}

/**
 * The one conversation of an agent with a scope that is not a person's chat window (a Telegram
 * account, a schedule), made when first needed and shown again if it was removed, since it is the same
 * OpenClaw session. One D1 statement.
 */
export async function scopedConversation(
  db: Db,
  tenantId: string,
  agentId: string,
  c: { source: "telegram" | "schedule"; scope: string; ownerId: string; title: string | null },
) {
  return (await scopedConversationWrite(db, tenantId, agentId, c))[0]!;
}

/** scopedConversation's one statement (it answers the conversation's id and scope), for a caller's own batch. */
export const scopedConversationWrite = (
  db: Db,
  tenantId: string,
  agentId: string,
  c: { source: "telegram" | "schedule"; scope: string; ownerId: string; title: string | null },
) => {
  const now = new Date();
  return db
    .insert(conversations)
    .values({ id: newId("conv"), tenantId, agentId, ...c, createdAt: now, updatedAt: now })
    .onConflictDoUpdate({ target: [conversations.tenantId, conversations.agentId, conversations.scope], set: { removedAt: null } })
    .returning({ id: conversations.id, scope: conversations.scope });
};

/** A Telegram person's conversation with an agent (made with their first message), as a statement for the run's batch. */
export function telegramConversationWrite(db: Db, tenantId: string, agentId: string, telegramUserId: number, ownerId: string | null) {
  const scope = `telegram:${telegramUserId}`;
  return scopedConversationWrite(db, tenantId, agentId, { source: "telegram", scope, ownerId: ownerId ?? scope, title: null });
}

export async function conversationSettings(db: Db, tenantId: string): Promise<{ visibility: ConversationVisibility }> {
  const [row] = await db.select({ visibility: tenants.conversationVisibility }).from(tenants).where(eq(tenants.id, tenantId));
  return { visibility: row?.visibility ?? "private" };
}

export async function setConversationVisibility(db: Db, tenantId: string, visibility: ConversationVisibility, by: AuditBy) {
  // Only a real change is written, so only a real change is recorded.
  await db.batch([
    db
      .update(tenants)
      .set({ conversationVisibility: visibility })
      .where(and(eq(tenants.id, tenantId), ne(tenants.conversationVisibility, visibility))),
    auditStatement(db, tenantId, by, {
      action: "team.settings_changed",
      metadata: { setting: "conversationVisibility", to: visibility },
    }),
  ]);
  return { visibility };
}
