import { and, desc, eq, gte, lte, sql } from "drizzle-orm";
import type { UsageSummary } from "@autoclaw/shared";
import type { Db } from "../db/client";
import { modelUsage, runs } from "../db/schema";

const DEFAULT_WINDOW_MS = 30 * 24 * 3600_000;

/** Runs and metered tokens of a team over [from, to] (default: the last 30 days), per day and per agent. */
export async function usageSummary(db: Db, tenantId: string, range: { from?: string; to?: string }): Promise<UsageSummary> {
  const to = range.to ? new Date(range.to) : new Date();
  const from = range.from ? new Date(range.from) : new Date(to.getTime() - DEFAULT_WINDOW_MS);
  const where = and(eq(runs.tenantId, tenantId), gte(runs.createdAt, from), lte(runs.createdAt, to));
  const sums = {
    runs: sql<number>`count(*)`,
    inputTokens: sql<number>`coalesce(sum(${runs.inputTokens}), 0)`,
    outputTokens: sql<number>`coalesce(sum(${runs.outputTokens}), 0)`,
  };
  const day = sql<string>`strftime('%Y-%m-%d', ${runs.createdAt} / 1000, 'unixepoch')`;
  const [total, perDay, perAgent] = await Promise.all([
    db.select(sums).from(runs).where(where),
    db
      .select({ day, ...sums })
      .from(runs)
      .where(where)
      .groupBy(day)
      .orderBy(day),
    db
      .select({ agentId: runs.agentId, ...sums })
      .from(runs)
      .where(where)
      .groupBy(runs.agentId),
  ]);
  return {
    from: from.toISOString(),
    to: to.toISOString(),
    total: total[0] ?? { runs: 0, inputTokens: 0, outputTokens: 0 },
    perDay,
    perAgent,
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
    .where(and(eq(modelUsage.tenantId, tenantId), eq(modelUsage.agentId, agentId), gte(modelUsage.at, since), gte(modelUsage.status, 400)))
    .orderBy(desc(modelUsage.id))
    .limit(1);
  return call;
}
