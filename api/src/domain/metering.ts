// Metering: every model call, wherever it comes from (the model proxy for runtime turns, chat, Telegram; the
// Worker's own calls in direct mode), is one row in model_usage and one addition to its day's usage_daily
// aggregate, written together in one D1 batch so the two can never disagree.
import { and, desc, eq, sql } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import { bound, type Db, prepared } from "../db/client";
import { modelUsage, runs, usageDaily } from "../db/schema";

export interface ModelCall {
  tenantId: string;
  agentId: string | null;
  runId: string | null;
  model: string;
  status: number;
  inputTokens: number;
  outputTokens: number;
  /** The provider gave no usage: the tokens were counted from the text. */
  estimated: boolean;
  latencyMs: number;
  error: string | null;
  at: Date;
}

/** The status a call is metered with when its caller hung up before the answer ended (not the provider's failure). */
export const CALLER_HUNG_UP = 499;

/** About four characters a token: what the count falls back to when a provider reports no usage. */
export const estimateTokens = (text: string) => Math.ceil(text.length / 4);

/** The UTC day of a time, as usage_daily keys it. */
export const utcDay = (at: Date) => at.toISOString().slice(0, 10);

/** The start of a time's calendar month (UTC): the period plans and budgets count in. */
export const monthStart = (now: Date) => new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));

export async function meterModelCall(db: Db, call: ModelCall): Promise<void> {
  await db.batch(meteringWrites(db, call));
}

/** The two writes that meter a call, for a caller that puts them in a batch of its own (a run's finish). */
export function meteringWrites(db: Db, call: ModelCall): [BatchItem<"sqlite">, BatchItem<"sqlite">] {
  const [callRow, dayRow] = meteringQueries(db);
  const v = {
    ...call,
    day: utcDay(call.at),
    agentKey: call.agentId ?? "",
    failed: call.status >= 400 ? 1 : 0,
    estimatedCalls: call.estimated ? 1 : 0,
  };
  return [bound(callRow, v), bound(dayRow, v)];
}

// Every model call is metered (a direct turn, the runtime's model proxy): prepared once per isolate.
// Placeholders in `values` take the column's encoder (a Date, a boolean); those inside `sql` are stored as given.
const meteringQueries = prepared((db) => {
  const p = sql.placeholder;
  return [
    db
      .insert(modelUsage)
      .values({
        tenantId: p("tenantId"),
        agentId: p("agentId"),
        runId: p("runId"),
        model: p("model"),
        status: p("status"),
        error: p("error"),
        inputTokens: p("inputTokens"),
        outputTokens: p("outputTokens"),
        estimated: p("estimated"),
        latencyMs: p("latencyMs"),
        at: p("at"),
      })
      .prepare(),
    db
      .insert(usageDaily)
      .values({
        tenantId: p("tenantId"),
        day: p("day"),
        agentId: p("agentKey"),
        model: p("model"),
        calls: 1,
        failedCalls: p("failed"),
        estimatedCalls: p("estimatedCalls"),
        inputTokens: p("inputTokens"),
        outputTokens: p("outputTokens"),
        latencyMs: p("latencyMs"),
      })
      .onConflictDoUpdate({
        target: [usageDaily.tenantId, usageDaily.day, usageDaily.agentId, usageDaily.model],
        set: {
          calls: sql`${usageDaily.calls} + 1`,
          failedCalls: sql`${usageDaily.failedCalls} + ${p("failed")}`,
          estimatedCalls: sql`${usageDaily.estimatedCalls} + ${p("estimatedCalls")}`,
          inputTokens: sql`${usageDaily.inputTokens} + ${p("inputTokens")}`,
          outputTokens: sql`${usageDaily.outputTokens} + ${p("outputTokens")}`,
          latencyMs: sql`${usageDaily.latencyMs} + ${p("latencyMs")}`,
        },
      })
      .prepare(),
  ] as const;
});

/** The run an agent's runtime is working on now (an agent's session runs one turn at a time), if any. */
export async function runningRunOf(db: Db, tenantId: string, agentId: string): Promise<string | null> {
  const [row] = await db
    .select({ id: runs.id })
    .from(runs)
    .where(and(eq(runs.tenantId, tenantId), eq(runs.agentId, agentId), eq(runs.status, "running")))
    .orderBy(desc(runs.startedAt))
    .limit(1);
  return row?.id ?? null;
}
