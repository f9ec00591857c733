// Plans, Stripe Checkout and the customer portal, the signed webhook that keeps each tenant's
// subscription current, and the gate in front of runs, runtime starts and new agents. With no
// Stripe keys (the local default) billing is off: every tenant is on the "development" plan.
import { and, count, eq, gte, isNull, ne } from "drizzle-orm";
import Stripe from "stripe";
import {
  DEVELOPMENT_PLAN,
  PLANS,
  planId,
  TRIAL_DAYS,
  type BillingStatus,
  type PlanId,
  type PublicPlan,
  type SubscriptionStatus,
} from "@autoclaw/shared";
import type { Settings } from "../config";
import type { Db } from "../db/client";
import { agents, runs, stripeEvents, telegramPairings, tenantBilling, tenants } from "../db/schema";
import { DomainError } from "./errors";

export interface BillingDeps {
  db: Db;
  settings: Settings;
  /** Stripe price id per plan, from STRIPE_PRICE_<PLAN>. */
  prices: Partial<Record<PlanId, string>>;
}

export const billingEnabled = (s: Settings) => !!(s.STRIPE_SECRET_KEY && s.STRIPE_WEBHOOK_SECRET);

/** STRIPE_PRICE_PRO, STRIPE_PRICE_TEAM, … from the Worker's environment. */
export function pricesFrom(env: Record<string, unknown>): Partial<Record<PlanId, string>> {
  const out: Partial<Record<PlanId, string>> = {};
  for (const id of planId.options) {
    const v = env[`STRIPE_PRICE_${id.toUpperCase()}`];
    if (typeof v === "string" && v) out[id] = v;
  }
  return out;
}

const clients = new WeakMap<Settings, Stripe>();
/** The stripe SDK over fetch (Workers have no node:https), pointed at STRIPE_API_BASE when set. */
function stripe(s: Settings): Stripe {
  let c = clients.get(s);
  if (!c) {
    const base = s.STRIPE_API_BASE ? new URL(s.STRIPE_API_BASE) : undefined;
    c = new Stripe(s.STRIPE_SECRET_KEY!, {
      httpClient: Stripe.createFetchHttpClient(),
      maxNetworkRetries: 2,
      ...(base && {
        host: base.hostname,
        port: Number(base.port || (base.protocol === "https:" ? 443 : 80)),
        protocol: base.protocol === "https:" ? "https" : "http",
      }),
    });
    clients.set(s, c);
  }
  return c;
}

/** Stripe failing is the platform's problem, not a 500 for the user: say so. */
async function callStripe<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof Stripe.errors.StripeError)
      throw new DomainError("PRECONDITION_FAILED", `Stripe could not do that right now: ${e.message}`);
    throw e;
  }
}

export function publicPlans(deps: BillingDeps): PublicPlan[] {
  return Object.values(PLANS).map((p) => ({
    id: p.id as PlanId,
    name: p.name,
    priceUsd: p.priceUsd,
    blurb: p.blurb,
    features: p.features,
    purchasable: p.id !== "trial" && !!deps.prices[p.id as PlanId] && billingEnabled(deps.settings),
  }));
}

// ── The tenant's standing ───────────────────────────────────────────────────────────────────────────

const DAY = 24 * 3_600_000;
const monthStart = (now: Date) => new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));

interface Standing {
  plan: BillingStatus["plan"];
  status: SubscriptionStatus;
  currentPeriodEnd: Date | null;
  canRun: boolean;
  reason: string | null;
  hasCustomer: boolean;
}

async function standing(deps: BillingDeps, tenantId: string, now: Date): Promise<Standing> {
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

const limitsOf = (plan: BillingStatus["plan"]) => (plan === "development" ? DEVELOPMENT_PLAN.limits : PLANS[plan].limits);
const planName = (plan: BillingStatus["plan"]) => (plan === "development" ? DEVELOPMENT_PLAN.name : PLANS[plan].name);

async function usage(db: Db, tenantId: string, now: Date) {
  const [[a], [r]] = await db.batch([
    db
      .select({ n: count() })
      .from(agents)
      .where(and(eq(agents.tenantId, tenantId), isNull(agents.deletedAt))),
    db
      .select({ n: count() })
      .from(runs)
      .where(and(eq(runs.tenantId, tenantId), gte(runs.createdAt, monthStart(now)))),
  ]);
  return { agents: a?.n ?? 0, runsThisMonth: r?.n ?? 0 };
}

export async function billingStatus(deps: BillingDeps, tenantId: string, telegramSeats: number, now = new Date()): Promise<BillingStatus> {
  const [st, used] = await Promise.all([standing(deps, tenantId, now), usage(deps.db, tenantId, now)]);
  return {
    billingEnabled: billingEnabled(deps.settings),
    plan: st.plan,
    planName: planName(st.plan),
    status: st.status,
    currentPeriodEnd: st.currentPeriodEnd?.toISOString() ?? null,
    canRun: st.canRun,
    reason: st.reason,
    hasCustomer: st.hasCustomer,
    usage: { ...used, telegramSeats },
    limits: limitsOf(st.plan),
  };
}

/** Runs (dashboard, API, Telegram) need a trialing or active subscription and room in the month's runs. */
export async function assertCanRun(deps: Pick<BillingDeps, "db" | "settings">, tenantId: string, now = new Date()): Promise<void> {
  if (!billingEnabled(deps.settings)) return;
  const st = await standing({ ...deps, prices: {} }, tenantId, now);
  if (!st.canRun) throw new DomainError("FORBIDDEN", st.reason!);
  const { runsThisMonth } = await usage(deps.db, tenantId, now);
  const limit = limitsOf(st.plan).runsPerMonth;
  if (runsThisMonth >= limit)
    throw new DomainError(
      "FORBIDDEN",
      `This team has used the ${limit.toLocaleString("en")} runs of its ${planName(st.plan)} plan this month. Upgrade on the Pricing page, or wait for the 1st.`,
    );
}

/** Runtime starts need the same standing as runs (no limit of their own). */
export async function assertCanStartRuntime(deps: Pick<BillingDeps, "db" | "settings">, tenantId: string, now = new Date()): Promise<void> {
  if (!billingEnabled(deps.settings)) return;
  const st = await standing({ ...deps, prices: {} }, tenantId, now);
  if (!st.canRun) throw new DomainError("FORBIDDEN", st.reason!);
}

export async function assertCanAddAgent(deps: Pick<BillingDeps, "db" | "settings">, tenantId: string, now = new Date()): Promise<void> {
  if (!billingEnabled(deps.settings)) return;
  const st = await standing({ ...deps, prices: {} }, tenantId, now);
  const { agents: n } = await usage(deps.db, tenantId, now);
  const limit = limitsOf(st.plan).agents;
  if (n >= limit)
    throw new DomainError(
      "FORBIDDEN",
      `The ${planName(st.plan)} plan includes ${limit} agents. Remove one or upgrade on the Pricing page.`,
    );
}

/** Why this Telegram account cannot take a seat in the team (null: it can). Already paired there: it keeps its seat. */
export async function telegramSeatRefusal(
  deps: Pick<BillingDeps, "db" | "settings">,
  tenantId: string,
  telegramUserId: number,
  now = new Date(),
): Promise<string | null> {
  if (!billingEnabled(deps.settings)) return null;
  const st = await standing({ ...deps, prices: {} }, tenantId, now);
  const [taken] = await deps.db
    .select({ n: count() })
    .from(telegramPairings)
    .where(and(eq(telegramPairings.tenantId, tenantId), ne(telegramPairings.telegramUserId, telegramUserId)));
  const seats = limitsOf(st.plan).telegramSeats;
  return (taken?.n ?? 0) >= seats
    ? `All ${seats} Telegram seats of the team's ${planName(st.plan)} plan are taken: an admin can unpair someone in AutoClaw → Telegram, or upgrade on the Pricing page.`
    : null;
}

// ── Checkout and portal ─────────────────────────────────────────────────────────────────────────────

function assertBilling(s: Settings) {
  if (!billingEnabled(s))
    throw new DomainError("PRECONDITION_FAILED", "Billing is off on this AutoClaw (development plan): there is nothing to buy");
}

export async function createCheckout(
  deps: BillingDeps,
  tenantId: string,
  plan: Exclude<PlanId, "trial">,
  email: string | undefined,
): Promise<{ url: string }> {
  assertBilling(deps.settings);
  const price = deps.prices[plan];
  if (!price)
    throw new DomainError(
      "PRECONDITION_FAILED",
      `The ${PLANS[plan].name} plan has no Stripe price on this AutoClaw (STRIPE_PRICE_${plan.toUpperCase()})`,
    );
  const row = await deps.db.query.tenantBilling.findFirst({ where: eq(tenantBilling.tenantId, tenantId) });
  const app = deps.settings.APP_URL.replace(/\/$/, "");
  const session = await callStripe(() =>
    stripe(deps.settings).checkout.sessions.create({
      mode: "subscription",
      line_items: [{ price, quantity: 1 }],
      client_reference_id: tenantId,
      metadata: { tenantId, plan },
      subscription_data: { metadata: { tenantId, plan } },
      ...(row?.stripeCustomerId ? { customer: row.stripeCustomerId } : email ? { customer_email: email } : {}),
      success_url: `${app}/billing?checkout=success`,
      cancel_url: `${app}/pricing?checkout=canceled`,
    }),
  );
  if (!session.url) throw new DomainError("PRECONDITION_FAILED", "Stripe returned no checkout page");
  return { url: session.url };
}

export async function createPortal(deps: BillingDeps, tenantId: string): Promise<{ url: string }> {
  assertBilling(deps.settings);
  const row = await deps.db.query.tenantBilling.findFirst({ where: eq(tenantBilling.tenantId, tenantId) });
  if (!row?.stripeCustomerId)
    throw new DomainError("PRECONDITION_FAILED", "This team has no Stripe subscription yet: choose a plan on the Pricing page first");
  const session = await callStripe(() =>
    stripe(deps.settings).billingPortal.sessions.create({
      customer: row.stripeCustomerId!,
      return_url: `${deps.settings.APP_URL.replace(/\/$/, "")}/billing`,
    }),
  );
  return { url: session.url };
}

// ── The webhook ─────────────────────────────────────────────────────────────────────────────────────

const idOf = (x: string | { id: string } | null | undefined) => (typeof x === "string" ? x : x?.id);

function planOfSubscription(deps: BillingDeps, sub: Stripe.Subscription): PlanId | undefined {
  const price = sub.items?.data?.[0]?.price?.id;
  const byPrice = (Object.entries(deps.prices) as [PlanId, string][]).find(([, p]) => p === price)?.[0];
  const byMeta = planId.safeParse(sub.metadata?.plan);
  return byPrice ?? (byMeta.success ? byMeta.data : undefined);
}

/** The tenant a Stripe object belongs to: the metadata our checkout set, else the known customer. */
async function tenantOf(db: Db, metadataTenant: string | undefined | null, customer: string | undefined): Promise<string | undefined> {
  if (metadataTenant) {
    const t = await db.query.tenants.findFirst({ where: eq(tenants.id, metadataTenant), columns: { id: true } });
    if (t) return t.id;
  }
  if (customer)
    return (await db.query.tenantBilling.findFirst({ where: eq(tenantBilling.stripeCustomerId, customer), columns: { tenantId: true } }))
      ?.tenantId;
  return undefined;
}

/**
 * Applies a subscription's state. `fresh` state was just fetched from Stripe (always current);
 * otherwise it came inside an event and is applied only if that event is not older than the last
 * one applied, so out-of-order delivery never rolls the subscription back.
 */
async function applySubscription(
  deps: BillingDeps,
  tenantId: string,
  sub: Stripe.Subscription,
  eventAt: Date,
  fresh: boolean,
): Promise<"applied" | "stale"> {
  const row = await deps.db.query.tenantBilling.findFirst({ where: eq(tenantBilling.tenantId, tenantId) });
  if (!fresh && row?.stripeEventAt && eventAt < row.stripeEventAt) return "stale";
  const status = sub.status as SubscriptionStatus;
  const item = sub.items?.data?.[0] as (Stripe.SubscriptionItem & { current_period_end?: number }) | undefined;
  const periodEnd = (sub as Stripe.Subscription & { current_period_end?: number }).current_period_end ?? item?.current_period_end;
  const now = new Date();
  const values = {
    plan: planOfSubscription(deps, sub) ?? row?.plan ?? "pro",
    status,
    stripeCustomerId: idOf(sub.customer) ?? row?.stripeCustomerId ?? null,
    stripeSubscriptionId: sub.id,
    currentPeriodEnd: periodEnd ? new Date(periodEnd * 1000) : null,
    pastDueSince: status === "past_due" ? (row?.status === "past_due" && row.pastDueSince ? row.pastDueSince : now) : null,
    stripeEventAt: row?.stripeEventAt && row.stripeEventAt > eventAt ? row.stripeEventAt : eventAt,
    updatedAt: now,
  };
  await deps.db
    .insert(tenantBilling)
    .values({ tenantId, ...values })
    .onConflictDoUpdate({ target: tenantBilling.tenantId, set: values });
  return "applied";
}

async function applyEvent(deps: BillingDeps, event: Stripe.Event): Promise<string> {
  const at = new Date(event.created * 1000);
  const api = stripe(deps.settings);
  switch (event.type) {
    case "checkout.session.completed": {
      const session = event.data.object;
      const subId = idOf(session.subscription as string | Stripe.Subscription | null);
      const tenantId = await tenantOf(
        deps.db,
        session.client_reference_id ?? session.metadata?.tenantId,
        idOf(session.customer as string | Stripe.Customer | null),
      );
      if (!tenantId || !subId) return "ignored: no tenant or subscription";
      return applySubscription(deps, tenantId, await api.subscriptions.retrieve(subId), at, true);
    }
    case "customer.subscription.created":
    case "customer.subscription.updated":
    case "customer.subscription.deleted": {
      const sub = event.data.object;
      const tenantId = await tenantOf(deps.db, sub.metadata?.tenantId, idOf(sub.customer as string | Stripe.Customer));
      if (!tenantId) return "ignored: unknown tenant";
      return applySubscription(deps, tenantId, sub, at, false);
    }
    case "invoice.paid":
    case "invoice.payment_failed": {
      const invoice = event.data.object as Stripe.Invoice & { subscription?: string | { id: string } | null };
      const subId = idOf(invoice.subscription) ?? idOf(invoice.parent?.subscription_details?.subscription as string | undefined);
      const tenantId = await tenantOf(
        deps.db,
        invoice.parent?.subscription_details?.metadata?.tenantId,
        idOf(invoice.customer as string | Stripe.Customer | null),
      );
      if (!tenantId || !subId) return "ignored: no tenant or subscription";
      // The invoice says little about the subscription: ask Stripe for its state now.
      return applySubscription(deps, tenantId, await api.subscriptions.retrieve(subId), at, true);
    }
    default:
      return "ignored";
  }
}

/** POST /api/webhooks/stripe: verified on the raw body, recorded by event id, applied in order. */
export async function handleStripeWebhook(
  deps: BillingDeps,
  rawBody: string,
  signature: string | null,
): Promise<{ status: number; body: Record<string, unknown> }> {
  if (!billingEnabled(deps.settings)) return { status: 404, body: { error: "Billing is not configured on this AutoClaw" } };
  if (!signature) return { status: 400, body: { error: "Missing Stripe-Signature" } };
  let event: Stripe.Event;
  try {
    event = await stripe(deps.settings).webhooks.constructEventAsync(
      rawBody,
      signature,
      deps.settings.STRIPE_WEBHOOK_SECRET!,
      undefined,
      Stripe.createSubtleCryptoProvider(),
    );
  } catch {
    return { status: 400, body: { error: "Invalid signature" } };
  }
  const [fresh] = await deps.db
    .insert(stripeEvents)
    .values({ id: event.id, type: event.type, receivedAt: new Date() })
    .onConflictDoNothing()
    .returning({ id: stripeEvents.id });
  if (!fresh) return { status: 200, body: { received: true, duplicate: true } };
  try {
    return { status: 200, body: { received: true, outcome: await applyEvent(deps, event) } };
  } catch (e) {
    // Not applied: forget the id so Stripe's retry applies it.
    await deps.db.delete(stripeEvents).where(eq(stripeEvents.id, event.id));
    console.error(`stripe event ${event.id} (${event.type}) failed:`, e instanceof Error ? e.message : e);
    return { status: 500, body: { error: "Could not apply the event; Stripe will retry" } };
  }
}
