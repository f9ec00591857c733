import { and, asc, eq, isNull, sql } from "drizzle-orm";
import { findTemplate, type Agent, type CreateAgentInput, type UpdateAgentInput } from "@autoclaw/shared";
import type { Settings } from "../config";
import { bound, type Db, prepared } from "../db/client";
import { agentCap, entitlementRefusal, underCap } from "./entitlements";
import { agents, schedules, triggers } from "../db/schema";
import { type AuditBy, auditStatement } from "./audit";
import { newLowercaseId } from "./crypto";
import { agentWorkspace, manifestKey } from "./r2-keys";
import { DomainError, notFound } from "./errors";

type Row = typeof agents.$inferSelect;
export const toAgent = (r: Row): Agent => ({
  id: r.id,
  name: r.name,
  templateId: r.templateId,
  model: r.model,
  createdAt: r.createdAt.toISOString(),
  updatedAt: r.updatedAt.toISOString(),
});

export async function createAgent(
  deps: { db: Db; bucket: R2Bucket; settings: Settings },
  tenantId: string,
  input: CreateAgentInput,
  by: AuditBy,
): Promise<Agent> {
  const { db, bucket } = deps;
  const template = findTemplate(input.templateId);
  if (!template) throw new DomainError("BAD_REQUEST", `Unknown template "${input.templateId}"`);
  // The plan's cap is checked in the insert itself (calls at once cannot pass it); the refusal's words
  // are worked out only when it refuses.
  const cap = await agentCap(deps, tenantId);
  // OpenClaw folds agent ids to lowercase; the runtime uses this id as its agent id.
  const id = newLowercaseId("ag");
  const files = Object.entries(template.files).map(([file, content]) => [agentWorkspace(tenantId, id) + file, content] as const);
  // Workspace files first: an agent row never exists without its persona.
  await Promise.all(
    files.map(([key, content]) => bucket.put(key, content, { httpMetadata: { contentType: "text/markdown; charset=utf-8" } })),
  );
  // Inserted only while the team is under its plan's cap, checked in the same statement.
  const now = Date.now();
  const model = input.model ?? template.defaultModel;
  const [[row]] = await db.batch([
    db
      .insert(agents)
      .select(
        sql`select ${id}, ${tenantId}, ${input.name}, ${template.id}, ${model}, ${now}, ${now}, null where ${underCap.agents(tenantId, cap)}`,
      )
      .returning(),
    auditStatement(db, tenantId, by, {
      action: "agent.created",
      target: { kind: "agent", id, label: input.name },
      metadata: { template: template.id, model },
    }),
  ]);
  if (!row) {
    await bucket.delete(files.map(([key]) => key)); // the persona of an agent that was never made
    throw new DomainError(
      "FORBIDDEN",
      (await entitlementRefusal(deps, tenantId, { kind: "agent" })) ?? "The plan's agent limit is reached",
    );
  }
  return toAgent(row);
}

export async function listAgents(db: Db, tenantId: string): Promise<Agent[]> {
  const rows = await db.query.agents.findMany({
    where: and(eq(agents.tenantId, tenantId), isNull(agents.deletedAt)),
    orderBy: asc(agents.createdAt),
  });
  return rows.map(toAgent);
}

/** The live agent with this id in this tenant; another tenant's agent is simply not found. */
/** The read of a live agent of the team, for a caller's own batch; `agentFrom` takes its rows. */
export const agentRowRead = (db: Db, tenantId: string, id: string) => bound(agentRowQuery(db), { tenantId, id });

// Every run's creation reads it: prepared once per isolate.
const agentRowQuery = prepared((db) =>
  db
    .select()
    .from(agents)
    .where(and(eq(agents.id, sql.placeholder("id")), eq(agents.tenantId, sql.placeholder("tenantId")), isNull(agents.deletedAt)))
    .prepare(),
);

export function agentFrom(rows: Row[]): Row {
  if (!rows[0]) throw notFound("Agent");
  return rows[0];
}

export const getAgentRow = async (db: Db, tenantId: string, id: string): Promise<Row> => agentFrom(await agentRowRead(db, tenantId, id));

export const getAgent = async (db: Db, tenantId: string, id: string): Promise<Agent> => toAgent(await getAgentRow(db, tenantId, id));

export async function updateAgent(db: Db, tenantId: string, input: UpdateAgentInput): Promise<Agent> {
  await getAgentRow(db, tenantId, input.id);
  const [row] = await db
    .update(agents)
    .set({
      ...(input.name !== undefined && { name: input.name }),
      ...(input.model !== undefined && { model: input.model }),
      updatedAt: new Date(),
    })
    .where(and(eq(agents.id, input.id), eq(agents.tenantId, tenantId)))
    .returning();
  return toAgent(row!);
}

/** Deleting keeps the agent's run history readable; its workspace files and manifest go (its kept versions expire on their own). */
export async function removeAgent(db: Db, bucket: R2Bucket, tenantId: string, id: string, by: AuditBy): Promise<void> {
  const agent = await getAgentRow(db, tenantId, id);
  await db.batch([
    db
      .update(agents)
      .set({ deletedAt: new Date(), updatedAt: new Date() })
      .where(and(eq(agents.id, id), eq(agents.tenantId, tenantId), isNull(agents.deletedAt))),
    auditStatement(db, tenantId, by, { action: "agent.deleted", target: { kind: "agent", id, label: agent.name } }),
    // Its schedules and triggers go with it (their runs stay in the history).
    db.delete(schedules).where(and(eq(schedules.tenantId, tenantId), eq(schedules.agentId, id))),
    db
      .update(triggers)
      .set({ revokedAt: new Date() })
      .where(and(eq(triggers.tenantId, tenantId), eq(triggers.agentId, id), isNull(triggers.revokedAt))),
  ]);
  for (let more = true; more; ) {
    const page = await bucket.list({ prefix: agentWorkspace(tenantId, id) });
    if (page.objects.length) await bucket.delete(page.objects.map((o) => o.key));
    more = page.truncated;
  }
  await bucket.delete(manifestKey(tenantId, id));
}

/** The persona files of an agent, as the model's system prompt until the tenant runtime runs turns. */
export async function agentInstructions(bucket: R2Bucket, tenantId: string, agentId: string): Promise<string> {
  const parts = await Promise.all(
    ["IDENTITY.md", "SOUL.md", "AGENTS.md"].map(async (file) => (await bucket.get(agentWorkspace(tenantId, agentId) + file))?.text()),
  );
  return parts.filter(Boolean).join("\n\n");
}
