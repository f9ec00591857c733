// A team's own prices for its custom models: the list (shared/src/pricing.ts) prices hosted models only, and a team
// that runs its own model server knows what a token costs it.
import { and, eq } from "drizzle-orm";
import { MODEL_PRICES, type ModelPrices, type PriceOverrides, type SetModelPriceInput } from "@autoclaw/shared";
import type { Db } from "../db/client";
import { modelPrices } from "../db/schema";
import { type AuditBy, auditStatement } from "./audit";

export async function priceOverrides(db: Db, tenantId: string): Promise<PriceOverrides> {
  const rows = await db
    .select({ model: modelPrices.model, inputPerMTok: modelPrices.inputPerMTok, outputPerMTok: modelPrices.outputPerMTok })
    .from(modelPrices)
    .where(eq(modelPrices.tenantId, tenantId));
  return Object.fromEntries(rows.map((r) => [r.model, { inputPerMTok: r.inputPerMTok, outputPerMTok: r.outputPerMTok }]));
}

export async function listModelPrices(db: Db, tenantId: string): Promise<ModelPrices> {
  const team = await priceOverrides(db, tenantId);
  const rows = (prices: PriceOverrides) => Object.entries(prices).map(([model, p]) => ({ model, ...p }));
  return { list: rows(MODEL_PRICES), team: rows(team).sort((a, b) => a.model.localeCompare(b.model)) };
}

export async function setModelPrice(
  db: Db,
  tenantId: string,
  input: SetModelPriceInput,
  by: AuditBy,
  now = new Date(),
): Promise<ModelPrices> {
  const price = { inputPerMTok: input.inputPerMTok, outputPerMTok: input.outputPerMTok, updatedAt: now };
  await db.batch([
    db
      .insert(modelPrices)
      .values({ tenantId, model: input.model, ...price })
      .onConflictDoUpdate({ target: [modelPrices.tenantId, modelPrices.model], set: price }),
    auditStatement(db, tenantId, by, {
      action: "price.set",
      target: { kind: "model", id: input.model, label: input.model },
      metadata: { inputPerMTok: input.inputPerMTok, outputPerMTok: input.outputPerMTok },
    }),
  ]);
  return listModelPrices(db, tenantId);
}

export async function removeModelPrice(db: Db, tenantId: string, model: string, by: AuditBy): Promise<ModelPrices> {
  await db.batch([
    db.delete(modelPrices).where(and(eq(modelPrices.tenantId, tenantId), eq(modelPrices.model, model))),
    auditStatement(db, tenantId, by, { action: "price.removed", target: { kind: "model", id: model, label: model } }),
  ]);
  return listModelPrices(db, tenantId);
}
