// Who a paired Telegram person talks to (their pick, the team's default, or its oldest agent), the
// commands that change it, and their messages as runs in their own conversation.
import { and, asc, eq, inArray, isNull, sql } from "drizzle-orm";
import { bound, type Db, literalRow, prepared } from "../db/client";
import { agents, runs, telegramPairings, telegramReplies, telegramSettings, tenants } from "../db/schema";
import { billingStatus } from "./entitlements";
import { runtimeStateWord } from "./runtime";
import { chatVisibleSkills } from "./skill-policy";
import { DomainError } from "./errors";
import type { RunDeps } from "./run-records";
import { telegramConversationWrite } from "./conversations";
import { NO_CLIENT, telegramActor } from "./audit";
import { unpair } from "./telegram-pairing";
import { createRun } from "./runs";
import { markHandled, recordUpdate, updateIsNew } from "./telegram";

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
  return conversationFrom(await db.batch(conversationReads(db, telegramUserId)));
}

/**
 * A new update (recorded as `beginUpdate` does) and who its sender is, in one round trip: how the bot
 * starts on a direct message. `isNew` is false when the update was handled before.
 */
export async function beginMessage(db: Db, update: { update_id: number }, telegramUserId: number) {
  const [inserted, ...reads] = await db.batch([recordUpdate(db, update), ...conversationReads(db, telegramUserId)]);
  return { isNew: await updateIsNew(db, update, inserted), conversation: conversationFrom(reads) };
}

/** Every message makes these reads: prepared once per isolate, the team found by a subquery on the pairing. */
const conversationQueries = prepared((db) => {
  const tg = sql.placeholder("tg");
  const team = db.select({ id: telegramPairings.tenantId }).from(telegramPairings).where(eq(telegramPairings.telegramUserId, tg));
  return [
    db.select().from(telegramPairings).where(eq(telegramPairings.telegramUserId, tg)).prepare(),
    db.select({ name: tenants.name }).from(tenants).where(inArray(tenants.id, team)).prepare(),
    db
      .select({ defaultAgentId: telegramSettings.defaultAgentId })
      .from(telegramSettings)
      .where(inArray(telegramSettings.tenantId, team))
      .prepare(),
    db
      .select()
      .from(agents)
      .where(and(inArray(agents.tenantId, team), isNull(agents.deletedAt)))
      .orderBy(asc(agents.createdAt))
      .prepare(),
  ] as const;
});

function conversationReads(db: Db, telegramUserId: number) {
  const [pairing, tenant, settings, list] = conversationQueries(db);
  const v = { tg: telegramUserId };
  return [bound(pairing, v), bound(tenant, v), bound(settings, v), bound(list, v)] as const;
}

type ConversationRows = readonly [
  Conversation["pairing"][],
  { name: string }[],
  { defaultAgentId: string | null }[],
  Conversation["agents"],
];

function conversationFrom([[pairing], [tenant], [settingsRow], list]: ConversationRows): Conversation | undefined {
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

/** `/skills`: what the person's agent is offered, as the team's policy has it (hidden skills left out). */
export async function skillsText(deps: RunDeps, conv: Conversation): Promise<string> {
  const agent = conv.agent;
  if (!agent) return "Your team has no agents yet: create one in AutoClaw.";
  const skills = await chatVisibleSkills(deps, conv.pairing.tenantId, agent);
  return skills.length ? `${agent.name} can use: ${skills.join(", ")}` : `${agent.name} has no skills switched on.`;
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

export async function unpairSelf(db: Db, conv: Conversation, from: { id: number; username?: string; first_name?: string }) {
  const { tenantId, telegramUserId } = conv.pairing;
  // Already gone (an admin unpaired them meanwhile) is as good as done.
  await unpair(db, tenantId, telegramUserId, { actor: telegramActor(from), client: NO_CLIENT }).catch((e) => {
    if (!(e instanceof DomainError && e.code === "NOT_FOUND")) throw e;
  });
}

/** A paired user's message: a run of their agent in their own conversation, answered when it ends. */
export async function startTelegramRun(deps: RunDeps, conv: Conversation, text: string, updateId: number): Promise<{ id: string }> {
  if (!conv.agent) throw new DomainError("PRECONDITION_FAILED", "Your team has no agents yet: create one in AutoClaw first.");
  const { db } = deps;
  const chatId = conv.pairing.chatId;
  const { telegramUserId, tenantId, pairedByUserId } = conv.pairing;
  // Keyed by the update: a retried update finds the same run instead of making another.
  return createRun(deps, tenantId, { agentId: conv.agent.id, input: text, idempotencyKey: `telegram:${updateId}` }, "telegram", {
    opensConversation: telegramConversationWrite(db, tenantId, conv.agent.id, telegramUserId, pairedByUserId),
    createdBy: `telegram:${conv.pairing.telegramUserId}`,
    also: (runId) => [
      db.insert(telegramReplies).select(db.select(literalRow(telegramReplies, { runId, chatId })).from(runs).where(eq(runs.id, runId))),
      // The update is handled once its run exists: no round trip of its own after.
      markHandled(db, updateId, sql`exists (select 1 from ${runs} where ${runs.id} = ${runId})`),
    ],
  });
}
