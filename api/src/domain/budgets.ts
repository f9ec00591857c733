// Budgets: a team's monthly ceiling on model tokens and/or estimated cost (calendar months, UTC). Use is read from
// the metering's daily aggregates. A run is refused once a budget is used up, in the very statement that inserts
// it (so runs created at once cannot slip past a used-up budget), and a queued run does not start once one is;
// a turn already running finishes. At 80 % the team is warned: a banner in the dashboard, and a line with each
// paired Telegram user's next reply, once a month.
import { and, eq, gte, isNull, ne, or, type Placeholder, type SQL, sql } from "drizzle-orm";
import { BUDGET_WARNING_SHARE, type Budget, MODEL_PRICES, type PriceOverrides, type SetBudgetInput } from "@autoclaw/shared";
import { bound, type Db, prepared } from "../db/client";
import { budgets, runs, telegramPairings, usageDaily } from "../db/schema";
import { type AuditBy, auditStatement } from "./audit";
import { monthStart, utcDay } from "./metering";
import { priceOverrides } from "./model-prices";
import { recordedActorOf } from "./principals";

const nextMonthStart = (now: Date) => new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1));
const monthOf = (now: Date) => now.toISOString().slice(0, 7);
const resetDay = (now: Date) =>
  nextMonthStart(now).toLocaleDateString("en-GB", { day: "numeric", month: "long", year: "numeric", timeZone: "UTC" });

/** This month's rows of the team's aggregates. */
const thisMonth = (tenantId: string, now: Date) => and(eq(usageDaily.tenantId, tenantId), gte(usageDaily.day, utcDay(monthStart(now))));
const tokensUsed = sql<number>`coalesce(sum(${usageDaily.inputTokens} + ${usageDaily.outputTokens}), 0)`;
/** The prices as SQL (the list's and the team's own), so the cost is summed where the rows are; a model without a price costs nothing. */
const costUsed = (overrides: PriceOverrides) => {
  const prices = Object.entries({ ...MODEL_PRICES, ...overrides });
  return sql<number>`coalesce(sum(case ${usageDaily.model} ${sql.join(
    prices.map(
      ([model, p]) =>
        sql`when ${model} then ${usageDaily.inputTokens} * ${p.inputPerMTok} + ${usageDaily.outputTokens} * ${p.outputPerMTok}`,
    ),
    sql` `,
  )} else 0 end), 0) / 1000000.0`;
};

type Limits = { monthlyTokens: number | null; monthlyCostUsd: number | null };
/** A team's limits with the prices its cost budget is counted in. */
type Budgeted = Limits & { overrides: PriceOverrides };

/**
 * The read of a team's limits, for a caller to put in the batch it already makes (a run's creation);
 * `budgetLimitsFrom` turns its rows into the limits. Prepared once per isolate, as is the read by a
 * run's id (its claim, its reply): every run makes one.
 */
export const budgetLimitsRead = (db: Db, tenantId: string) => bound(budgetQueries(db).ofTeam, { tenantId });
/** The limits of a run's team, by the run's id. */
export const budgetOfRunRead = (db: Db, runId: string) => bound(budgetQueries(db).ofRun, { runId });

const budgetQueries = prepared((db) => {
  const read = (tenantId: SQL | Placeholder) =>
    db
      .select({ monthlyTokens: budgets.monthlyTokens, monthlyCostUsd: budgets.monthlyCostUsd })
      .from(budgets)
      .where(eq(budgets.tenantId, tenantId))
      .prepare();
  return {
    ofTeam: read(sql.placeholder("tenantId")),
    ofRun: read(sql`(select ${runs.tenantId} from ${runs} where ${runs.id} = ${sql.placeholder("runId")})`),
  };
});
type LimitsRows = Awaited<ReturnType<typeof budgetLimitsRead>>;

const limitsOf = async (db: Db, tenantId: string): Promise<Limits | undefined> => (await budgetLimitsRead(db, tenantId))[0];

async function used(db: Db, tenantId: string, now: Date, overrides: PriceOverrides) {
  const [row] = await db
    .select({ tokens: tokensUsed, cost: costUsed(overrides) })
    .from(usageDaily)
    .where(thisMonth(tenantId, now));
  return { tokens: Number(row?.tokens ?? 0), cost: Number(row?.cost ?? 0) };
}

const usd = (v: number) => `$${v.toLocaleString("en", { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
const tokens = (v: number) => `${v.toLocaleString("en")} tokens`;

/** Which budget is used up (or nearly), in words, and how full the fullest one is. */
function assess(limits: Limits, use: { tokens: number; cost: number }, now: Date): { state: Budget["state"]; message: string | null } {
  const shares = [
    limits.monthlyTokens !== null && { share: use.tokens / limits.monthlyTokens, what: `token budget of ${tokens(limits.monthlyTokens)}` },
    limits.monthlyCostUsd !== null && {
      share: use.cost / limits.monthlyCostUsd,
      what: `cost budget of ${usd(limits.monthlyCostUsd)} (estimated)`,
    },
  ].filter((x) => x !== false);
  if (shares.length === 0) return { state: "none", message: null };
  const fullest = shares.reduce((a, b) => (b.share > a.share ? b : a));
  if (fullest.share >= 1)
    return {
      state: "exhausted",
      message: `This team's monthly ${fullest.what} is used up: new runs are refused until it resets on ${resetDay(now)} (UTC). An admin can raise it in Usage.`,
    };
  if (fullest.share >= BUDGET_WARNING_SHARE)
    return {
      state: "warning",
      message: `This team has used ${Math.floor(fullest.share * 100)} % of its monthly ${fullest.what}; it resets on ${resetDay(now)} (UTC).`,
    };
  return { state: "ok", message: null };
}

export async function budgetOf(db: Db, tenantId: string, now = new Date()): Promise<Budget> {
  const overrides = await priceOverrides(db, tenantId);
  const [limits, use] = await Promise.all([limitsOf(db, tenantId), used(db, tenantId, now, overrides)]);
  const l = { monthlyTokens: limits?.monthlyTokens ?? null, monthlyCostUsd: limits?.monthlyCostUsd ?? null };
  return { ...l, usedTokens: use.tokens, usedCostUsd: use.cost, resetsAt: nextMonthStart(now).toISOString(), ...assess(l, use, now) };
}

export async function setBudget(db: Db, tenantId: string, input: SetBudgetInput, by: AuditBy, now = new Date()): Promise<Budget> {
  const updatedBy = recordedActorOf(by);
  const patch = {
    ...(input.monthlyTokens !== undefined && { monthlyTokens: input.monthlyTokens }),
    ...(input.monthlyCostUsd !== undefined && { monthlyCostUsd: input.monthlyCostUsd }),
  };
  await db.batch([
    db
      .insert(budgets)
      .values({ tenantId, monthlyTokens: null, monthlyCostUsd: null, ...patch, updatedBy, updatedAt: now })
      .onConflictDoUpdate({ target: budgets.tenantId, set: { ...patch, updatedBy, updatedAt: now } }),
    auditStatement(db, tenantId, by, { action: "budget.changed", metadata: patch }),
  ]);
  return budgetOf(db, tenantId, now);
}

/**
 * For the insert of a run: true while no budget of the team is used up, evaluated by the statement itself. `limits`
 * is the team's budget as read just before (undefined: none, so no condition).
 */
export function underBudget(tenantId: string, limits: Budgeted | undefined, now = new Date()): SQL {
  const checks: SQL[] = [];
  if (limits?.monthlyTokens != null) checks.push(underTokenBudget(tenantId, limits.monthlyTokens, utcDay(monthStart(now))));
  if (limits?.monthlyCostUsd != null)
    checks.push(
      sql`(select ${costUsed(limits.overrides)} from ${usageDaily} where ${thisMonth(tenantId, now)}) < ${limits.monthlyCostUsd}`,
    );
  return checks.length ? sql.join(checks, sql` and `) : sql`1`;
}

/** The token half of `underBudget`, with values or placeholders (a prepared insert's): `firstDay` is the month's first UTC day. */
export const underTokenBudget = (tenantId: string | Placeholder, monthlyTokens: number | Placeholder, firstDay: string | Placeholder) =>
  sql`(select ${tokensUsed} from ${usageDaily} where ${and(eq(usageDaily.tenantId, tenantId), gte(usageDaily.day, firstDay))}) < ${monthlyTokens}`;

/** The team's budget limits, for `underBudget` (undefined when it has none). */
export async function budgetLimits(db: Db, tenantId: string): Promise<Budgeted | undefined> {
  return budgetLimitsFrom(db, tenantId, await budgetLimitsRead(db, tenantId));
}

/** `budgetLimits` from the rows of a `budgetLimitsRead` made in another batch. */
export async function budgetLimitsFrom(db: Db, tenantId: string, rows: LimitsRows): Promise<Budgeted | undefined> {
  const l = rows[0];
  if (!l || (l.monthlyTokens === null && l.monthlyCostUsd === null)) return undefined;
  // Prices matter only to a cost budget: a token budget needs no second read.
  return { ...l, overrides: l.monthlyCostUsd === null ? {} : await priceOverrides(db, tenantId) };
}

/** Why a new run may not start (a budget is used up), or null. */
export async function budgetRefusal(db: Db, tenantId: string, now = new Date(), limitsRows?: LimitsRows): Promise<string | null> {
  const verdict = await verdictOf(db, tenantId, now, limitsRows);
  return verdict?.state === "exhausted" ? verdict.message : null;
}

/** The team's budget state and its words, or undefined when it has no budget (one read then, or none given its rows). */
async function verdictOf(db: Db, tenantId: string, now: Date, limitsRows?: LimitsRows) {
  const limits = await budgetLimitsFrom(db, tenantId, limitsRows ?? (await budgetLimitsRead(db, tenantId)));
  return limits && assess(limits, await used(db, tenantId, now, limits.overrides), now);
}

/**
 * The warning for one paired Telegram user, once a month: the line their next reply carries while the team is at
 * 80 % of a budget or past it, or null. The conditional update makes it once, however many replies race.
 */
export async function telegramBudgetNotice(
  db: Db,
  tenantId: string,
  chatId: number,
  now = new Date(),
  limitsRows?: LimitsRows,
): Promise<string | null> {
  const verdict = await verdictOf(db, tenantId, now, limitsRows);
  if (verdict?.state !== "warning" && verdict?.state !== "exhausted") return null;
  const month = monthOf(now);
  const claimed = await db
    .update(telegramPairings)
    .set({ budgetNoticeMonth: month })
    .where(
      and(
        eq(telegramPairings.tenantId, tenantId),
        eq(telegramPairings.chatId, chatId),
        or(isNull(telegramPairings.budgetNoticeMonth), ne(telegramPairings.budgetNoticeMonth, month)),
      ),
    )
    .returning({ id: telegramPairings.telegramUserId });
  return claimed.length ? verdict.message : null;
}

/** Puts a notice back when the reply that carried it could not be sent, so the person still hears it once. */
export async function releaseTelegramBudgetNotice(db: Db, tenantId: string, chatId: number): Promise<void> {
  await db
    .update(telegramPairings)
    .set({ budgetNoticeMonth: null })
    .where(and(eq(telegramPairings.tenantId, tenantId), eq(telegramPairings.chatId, chatId)));
}
