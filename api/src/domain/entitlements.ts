// What a team's plan and subscription entitle it to: its standing (trial, active, past due…), its
// usage against the plan's limits, and the one gate in front of runs, runtime starts, new agents and
// Telegram seats. With no Stripe keys (the local default) billing is off: every team is on the
// "development" plan and nothing is refused.
import { and, count, eq, gte, isNull, ne, type Placeholder, sql } from "drizzle-orm";
import { DEVELOPMENT_PLAN, PLANS, TRIAL_DAYS, type BillingStatus, type PlanLimits, type SubscriptionStatus } from "@autoclaw/shared";
import type { Settings } from "../config";
import type { Db } from "../db/client";
import { agents, runs, telegramPairings, tenantBilling, tenants } from "../db/schema";
import { DomainError } from "./errors";
import { monthStart } from "./metering";

export interface EntitlementDeps {
  db: Db;
  settings: Settings;
}

export const billingEnabled = (s: Settings) => !!(s.STRIPE_SECRET_KEY && s.STRIPE_WEBHOOK_SECRET);

const DAY = 24 * 3_600_000;

interface Standing {
  plan: BillingStatus["plan"];
  status: SubscriptionStatus;
  currentPeriodEnd: Date | null;
  canRun: boolean;
  reason: string | null;
  hasCustomer: boolean;
}

async function standing(deps: EntitlementDeps, tenantId: string, now: Date): Promise<Standing> {
  if (!billingEnabled(deps.settings))
    return { plan: "development", status: "active", currentPeriodEnd: null, canRun: true, reason: null, hasCustomer: false };
  const row = await deps.db.query.tenantBilling.findFirst({ where: eq(tenantBilling.tenantId, tenantId) });
  if (!row) {
    // Every new team starts on the free trial, counted from the team's creation.
    const tenant = await deps.db.query.tenants.findFirst({ where: eq(tenants.id, tenantId), columns: { createdAt: true } });
    const end = new Date((tenant?.createdAt ?? now).getTime() + TRIAL_DAYS * DAY);
    const over = now >= end;
    return {
      plan: "trial",
      status: "trialing",
      currentPeriodEnd: end,
      canRun: !over,
      reason: over ? `The free trial ended on ${end.toDateString()}. Choose a plan on the Pricing page to keep running agents.` : null,
      hasCustomer: false,
    };
  }
  const graceEnd = row.pastDueSince ? new Date(row.pastDueSince.getTime() + deps.settings.BILLING_GRACE_DAYS * DAY) : null;
  let reason: string | null = null;
  if (row.status === "past_due" && graceEnd && now >= graceEnd)
    reason = `Payment for this team's subscription failed and the ${deps.settings.BILLING_GRACE_DAYS}-day grace period is over. Update the payment method under Billing → Manage billing.`;
  else if (row.status === "canceled")
    reason = "This team's subscription is canceled. Choose a plan on the Pricing page to run agents again.";
  else if (!["active", "trialing", "past_due"].includes(row.status))
    reason = `This team's subscription is ${row.status.replace("_", " ")}. Finish or fix it under Billing → Manage billing.`;
  return {
    plan: row.plan,
    status: row.status,
    currentPeriodEnd: row.currentPeriodEnd,
    canRun: !reason,
    reason,
    hasCustomer: !!row.stripeCustomerId,
  };
}

const planOf = (plan: BillingStatus["plan"]) => (plan === "development" ? DEVELOPMENT_PLAN : PLANS[plan]);

/** Agents, this month's runs and Telegram seats (paired accounts, less one that is asking for its own seat). */
async function usage(db: Db, tenantId: string, now: Date, exceptTelegramUser = 0) {
  const [[a], [r], [t]] = await db.batch([
    db
      .select({ n: count() })
      .from(agents)
      .where(and(eq(agents.tenantId, tenantId), isNull(agents.deletedAt))),
    db
      .select({ n: count() })
      .from(runs)
      .where(and(eq(runs.tenantId, tenantId), gte(runs.createdAt, monthStart(now)))),
    db
      .select({ n: count() })
      .from(telegramPairings)
      .where(and(eq(telegramPairings.tenantId, tenantId), ne(telegramPairings.telegramUserId, exceptTelegramUser))),
  ]);
  return { agents: a?.n ?? 0, runsThisMonth: r?.n ?? 0, telegramSeats: t?.n ?? 0 };
}

export async function billingStatus(deps: EntitlementDeps, tenantId: string, now = new Date()): Promise<BillingStatus> {
  const [st, used] = await Promise.all([standing(deps, tenantId, now), usage(deps.db, tenantId, now)]);
  const plan = planOf(st.plan);
  return {
    billingEnabled: billingEnabled(deps.settings),
    plan: st.plan,
    planName: plan.name,
    status: st.status,
    currentPeriodEnd: st.currentPeriodEnd?.toISOString() ?? null,
    canRun: st.canRun,
    reason: st.reason,
    hasCustomer: st.hasCustomer,
    usage: used,
    limits: plan.limits,
  };
}

/**
 * What a team may be refused: a run (dashboard, API, Telegram) and a runtime start need a trialing or
 * active subscription, a run also room in the month's runs; a new agent and a Telegram seat need room
 * in the plan. A Telegram account already paired with the team keeps its seat.
 */
export type Entitlement = { kind: "run" } | { kind: "runtimeStart" } | { kind: "agent" } | { kind: "telegramSeat"; telegramUserId: number };

/** Why the team may not do this now, in words a user can act on (null: it may). */
export async function entitlementRefusal(
  deps: EntitlementDeps,
  tenantId: string,
  e: Entitlement,
  now = new Date(),
): Promise<string | null> {
  if (!billingEnabled(deps.settings)) return null;
  const st = await standing(deps, tenantId, now);
  if ((e.kind === "run" || e.kind === "runtimeStart") && !st.canRun) return st.reason;
  if (e.kind === "runtimeStart") return null;
  const plan = planOf(st.plan);
  const used = await usage(deps.db, tenantId, now, e.kind === "telegramSeat" ? e.telegramUserId : 0);
  if (e.kind === "run" && plan.limits.runsPerMonth !== null && used.runsThisMonth >= plan.limits.runsPerMonth)
    return `This team has used the ${plan.limits.runsPerMonth.toLocaleString("en")} runs of its ${plan.name} plan this month. Upgrade on the Pricing page, or wait for the 1st.`;
  if (e.kind === "agent" && plan.limits.agents !== null && used.agents >= plan.limits.agents)
    return `The ${plan.name} plan includes ${plan.limits.agents} agents. Remove one or upgrade on the Pricing page.`;
  if (e.kind === "telegramSeat" && plan.limits.telegramSeats !== null && used.telegramSeats >= plan.limits.telegramSeats)
    return `All ${plan.limits.telegramSeats} Telegram seats of the team's ${plan.name} plan are taken: an admin can unpair someone in AutoClaw → Telegram, or upgrade on the Pricing page.`;
  return null;
}

/** The gate: FORBIDDEN with the refusal's words. */
export async function assertEntitled(deps: EntitlementDeps, tenantId: string, e: Entitlement, now = new Date()): Promise<void> {
  const refusal = await entitlementRefusal(deps, tenantId, e, now);
  if (refusal) throw new DomainError("FORBIDDEN", refusal);
}

/**
 * The plan's cap on a team's agents (null: none), for an insert that checks it in the same statement,
 * so calls at once cannot slip past it; `entitlementRefusal` words a refusal.
 */
export async function agentCap(deps: EntitlementDeps, tenantId: string, now = new Date()): Promise<number | null> {
  if (!billingEnabled(deps.settings)) return null;
  return planOf((await standing(deps, tenantId, now)).plan).limits.agents;
}

/** The team's plan's limits, or null when billing is off (no limits). */
export async function planLimitsOf(deps: EntitlementDeps, tenantId: string, now = new Date()): Promise<PlanLimits | null> {
  if (!billingEnabled(deps.settings)) return null;
  return planOf((await standing(deps, tenantId, now)).plan).limits;
}

/** The skill packs the team's plan includes (null: every pack). */
export async function planSkillPacks(deps: EntitlementDeps, tenantId: string, now = new Date()): Promise<string[] | null> {
  if (!billingEnabled(deps.settings)) return null;
  return planOf((await standing(deps, tenantId, now)).plan).skillPacks;
}

/**
 * What a run needs from the plan: a team that may run now (else FORBIDDEN with the reason), and the
 * month's cap on runs for the insert to check in the same statement (null: none).
 */
export async function runCap(deps: EntitlementDeps, tenantId: string, now = new Date()): Promise<number | null> {
  if (!billingEnabled(deps.settings)) return null;
  const st = await standing(deps, tenantId, now);
  if (!st.canRun) throw new DomainError("FORBIDDEN", st.reason ?? "This team cannot run agents now");
  return planOf(st.plan).limits.runsPerMonth;
}

/** The plan's cap on Telegram seats (null: none), for the pairing that checks it in the same batch. */
export async function telegramSeatCap(deps: EntitlementDeps, tenantId: string, now = new Date()): Promise<number | null> {
  if (!billingEnabled(deps.settings)) return null;
  return planOf((await standing(deps, tenantId, now)).plan).limits.telegramSeats;
}

/** The plan's say on Telegram seats as pairing asks it: the cap for its batch, the refusal's words. */
export const telegramSeats = (deps: EntitlementDeps, telegramUserId: number) => ({
  cap: (tenantId: string) => telegramSeatCap(deps, tenantId),
  refusal: (tenantId: string) => entitlementRefusal(deps, tenantId, { kind: "telegramSeat", telegramUserId }),
});

/** In-statement gates: true while the team is under the cap (always, with none). */
export const underCap = {
  /** Values or placeholders (a prepared insert's): the month's start in ms. */
  runsThisMonth: (tenantId: string | Placeholder, cap: number | Placeholder | null, since: number | Placeholder) =>
    cap === null
      ? sql`1`
      : sql`(select count(*) from ${runs} where ${runs.tenantId} = ${tenantId} and ${runs.createdAt} >= ${since}) < ${cap}`,
  telegramSeats: (tenantId: string, cap: number | null, exceptTelegramUser: number) =>
    cap === null
      ? sql`1`
      : sql`(select count(*) from ${telegramPairings} where ${telegramPairings.tenantId} = ${tenantId} and ${telegramPairings.telegramUserId} <> ${exceptTelegramUser}) < ${cap}`,
  agents: (tenantId: string, cap: number | null) =>
    cap === null
      ? sql`1`
      : sql`(select count(*) from ${agents} where ${agents.tenantId} = ${tenantId} and ${agents.deletedAt} is null) < ${cap}`,
};
