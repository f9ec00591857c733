import { and, desc, eq, gte, lte, ne, sql } from "drizzle-orm";
import { estimateCostUsd, type UsageSummary } from "@autoclaw/shared";
import type { Db } from "../db/client";
import { modelUsage, runs, usageDaily } from "../db/schema";
import { CALLER_HUNG_UP, utcDay } from "./metering";
import { priceOverrides } from "./model-prices";

const DEFAULT_WINDOW_MS = 30 * 24 * 3600_000;

type Totals = UsageSummary["total"];
const empty = (): Totals => ({ runs: 0, modelCalls: 0, inputTokens: 0, outputTokens: 0, estimatedCostUsd: 0, unpricedTokens: 0 });

/**
 * A team's model calls over [from, to] (default: the last 30 days), from the daily aggregates the metering
 * writes: totals, per UTC day, per agent and per model, with estimated costs; plus the runs created in the period.
 * Days are whole UTC days: a range that starts or ends mid-day counts that day's calls in full.
 */
export async function usageSummary(db: Db, tenantId: string, range: { from?: string; to?: string }): Promise<UsageSummary> {
  const to = range.to ? new Date(range.to) : new Date();
  const from = range.from ? new Date(range.from) : new Date(to.getTime() - DEFAULT_WINDOW_MS);
  const day = sql<string>`strftime('%Y-%m-%d', ${runs.createdAt} / 1000, 'unixepoch')`;
  const [calls, runsPerDayAgent, overrides] = await Promise.all([
    db
      .select()
      .from(usageDaily)
      .where(and(eq(usageDaily.tenantId, tenantId), gte(usageDaily.day, utcDay(from)), lte(usageDaily.day, utcDay(to)))),
    db
      .select({ day, agentId: runs.agentId, runs: sql<number>`count(*)` })
      .from(runs)
      .where(and(eq(runs.tenantId, tenantId), gte(runs.createdAt, from), lte(runs.createdAt, to)))
      .groupBy(day, runs.agentId),
    priceOverrides(db, tenantId),
  ]);

  const total = empty();
  const perDay = new Map<string, Totals>();
  const perAgent = new Map<string, Totals>();
  const perModel = new Map<string, UsageSummary["perModel"][number]>();
  const at = <K>(m: Map<K, Totals>, key: K) => {
    const t = m.get(key) ?? empty();
    m.set(key, t);
    return t;
  };
  for (const r of runsPerDayAgent) {
    total.runs += r.runs;
    at(perDay, r.day).runs += r.runs;
    at(perAgent, r.agentId).runs += r.runs;
  }
  for (const c of calls) {
    const cost = estimateCostUsd(c.model, c.inputTokens, c.outputTokens, overrides);
    const targets = [total, at(perDay, c.day), ...(c.agentId ? [at(perAgent, c.agentId)] : [])];
    const model = perModel.get(c.model) ?? {
      model: c.model,
      modelCalls: 0,
      inputTokens: 0,
      outputTokens: 0,
      estimatedCostUsd: 0,
      unpricedTokens: 0,
      estimatedCalls: 0,
      priced: cost !== null,
    };
    perModel.set(c.model, model);
    model.estimatedCalls += c.estimatedCalls;
    for (const t of [...targets, model]) {
      t.modelCalls += c.calls;
      t.inputTokens += c.inputTokens;
      t.outputTokens += c.outputTokens;
      if (cost === null) t.unpricedTokens += c.inputTokens + c.outputTokens;
      else t.estimatedCostUsd += cost;
    }
  }
  return {
    from: from.toISOString(),
    to: to.toISOString(),
    total,
    perDay: [...perDay].sort(([a], [b]) => a.localeCompare(b)).map(([d, t]) => ({ day: d, ...t })),
    perAgent: [...perAgent].map(([agentId, t]) => ({ agentId, ...t })),
    perModel: [...perModel.values()].sort((a, b) => b.inputTokens + b.outputTokens - (a.inputTokens + a.outputTokens)),
  };
}

/** The agent's latest model call since `since` that failed, as the model proxy recorded it (upstream status and reason). */
export async function lastFailedModelCall(
  db: Db,
  tenantId: string,
  agentId: string,
  since: Date,
): Promise<{ status: number; error: string | null } | undefined> {
  const [call] = await db
    .select({ status: modelUsage.status, error: modelUsage.error })
    .from(modelUsage)
    .where(
      and(
        eq(modelUsage.tenantId, tenantId),
        eq(modelUsage.agentId, agentId),
        gte(modelUsage.at, since),
        gte(modelUsage.status, 400),
        // A call its caller hung up on says nothing about why a turn failed.
        ne(modelUsage.status, CALLER_HUNG_UP),
      ),
    )
    .orderBy(desc(modelUsage.id))
    .limit(1);
  return call;
}
