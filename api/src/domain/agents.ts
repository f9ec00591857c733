import { and, asc, eq, isNull } from "drizzle-orm";
import { findTemplate, type Agent, type CreateAgentInput, type UpdateAgentInput } from "@autoclaw/shared";
import type { Settings } from "../config";
import type { Db } from "../db/client";
import { assertEntitled } from "./entitlements";
import { agents } from "../db/schema";
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
): Promise<Agent> {
  const { db, bucket } = deps;
  const template = findTemplate(input.templateId);
  if (!template) throw new DomainError("BAD_REQUEST", `Unknown template "${input.templateId}"`);
  await assertEntitled(deps, tenantId, { kind: "agent" });
  // OpenClaw folds agent ids to lowercase; the runtime uses this id as its agent id.
  const id = newLowercaseId("ag");
  // Workspace files first: an agent row never exists without its persona.
  await Promise.all(
    Object.entries(template.files).map(([file, content]) =>
      bucket.put(agentWorkspace(tenantId, id) + file, content, { httpMetadata: { contentType: "text/markdown; charset=utf-8" } }),
    ),
  );
  const [row] = await db
    .insert(agents)
    .values({ id, tenantId, name: input.name, templateId: template.id, model: input.model ?? template.defaultModel, updatedAt: new Date() })
    .returning();
  return toAgent(row!);
}

export async function listAgents(db: Db, tenantId: string): Promise<Agent[]> {
  const rows = await db.query.agents.findMany({
    where: and(eq(agents.tenantId, tenantId), isNull(agents.deletedAt)),
    orderBy: asc(agents.createdAt),
  });
  return rows.map(toAgent);
}

/** The live agent with this id in this tenant; another tenant's agent is simply not found. */
export async function getAgentRow(db: Db, tenantId: string, id: string): Promise<Row> {
  const row = await db.query.agents.findFirst({ where: and(eq(agents.id, id), eq(agents.tenantId, tenantId), isNull(agents.deletedAt)) });
  if (!row) throw notFound("Agent");
  return row;
}

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
export async function removeAgent(db: Db, bucket: R2Bucket, tenantId: string, id: string): Promise<void> {
  await getAgentRow(db, tenantId, id);
  await db
    .update(agents)
    .set({ deletedAt: new Date(), updatedAt: new Date() })
    .where(and(eq(agents.id, id), eq(agents.tenantId, tenantId)));
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
