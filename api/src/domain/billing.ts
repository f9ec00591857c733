// Stripe: the plans for sale, Checkout and the customer portal, and the signed webhook's events that
// keep each tenant's subscription current. What a subscription entitles a team to is entitlements.ts.
import { eq } from "drizzle-orm";
import Stripe from "stripe";
import { PLANS, planId, type PlanId, type PublicPlan, type SubscriptionStatus } from "@autoclaw/shared";
import type { Settings } from "../config";
import type { Db } from "../db/client";
import { stripeEvents, tenantBilling, tenants } from "../db/schema";
import { auditStatement, byPlatform } from "./audit";
import { DomainError } from "./errors";
import { billingEnabled } from "./entitlements";
import type { Principal } from "./principals";

export interface BillingDeps {
  db: Db;
  settings: Settings;
}

/** The Stripe price id of each purchasable plan, from the settings (STRIPE_PRICE_PRO, STRIPE_PRICE_TEAM). */
const pricesFrom = (s: Settings): Partial<Record<PlanId, string>> => ({
  ...(s.STRIPE_PRICE_PRO && { pro: s.STRIPE_PRICE_PRO }),
  ...(s.STRIPE_PRICE_TEAM && { team: s.STRIPE_PRICE_TEAM }),
});

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
    purchasable: p.id !== "trial" && !!pricesFrom(deps.settings)[p.id as PlanId] && billingEnabled(deps.settings),
  }));
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
  by: Principal,
): Promise<{ url: string }> {
  const email = by.kind === "user" ? by.email : undefined;
  assertBilling(deps.settings);
  const price = pricesFrom(deps.settings)[plan];
  if (!price)
    throw new DomainError(
      "PRECONDITION_FAILED",
      `The ${PLANS[plan].name} plan has no Stripe price on this AutoClaw (STRIPE_PRICE_${plan.toUpperCase()})`,
    );
  const row = await deps.db.query.tenantBilling.findFirst({ where: eq(tenantBilling.tenantId, tenantId) });
  // One subscription per team: a plan change goes through the portal, never a second checkout.
  if (row?.stripeSubscriptionId && LIVE.includes(row.status))
    throw new DomainError("PRECONDITION_FAILED", "This team already has a subscription: change the plan under Billing → Manage billing");
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
  const byPrice = (Object.entries(pricesFrom(deps.settings)) as [PlanId, string][]).find(([, p]) => p === price)?.[0];
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

/** Statuses in which a subscription is the team's own and still counts. */
const LIVE: SubscriptionStatus[] = ["active", "trialing", "past_due"];

/**
 * Applies a subscription's state. `fresh` state was just fetched from Stripe (always current);
 * otherwise it came inside an event: it applies only to the team's current subscription, only if the
 * event is not older than the last one applied (out-of-order delivery never rolls the state back),
 * and an event of the same second as the last one is settled by reading the subscription from Stripe.
 */
async function applySubscription(
  deps: BillingDeps,
  tenantId: string,
  sub: Stripe.Subscription,
  eventAt: Date,
  fresh: boolean,
): Promise<"applied" | "stale" | "ignored: not the team's current subscription"> {
  const row = await deps.db.query.tenantBilling.findFirst({ where: eq(tenantBilling.tenantId, tenantId) });
  if (!fresh && row?.stripeSubscriptionId && row.stripeSubscriptionId !== sub.id && LIVE.includes(row.status))
    return "ignored: not the team's current subscription";
  if (!fresh && row?.stripeEventAt && eventAt < row.stripeEventAt) return "stale";
  if (!fresh && row?.stripeEventAt && eventAt.getTime() === row.stripeEventAt.getTime())
    return applySubscription(deps, tenantId, await stripe(deps.settings).subscriptions.retrieve(sub.id), eventAt, true);
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
  const upsert = deps.db
    .insert(tenantBilling)
    .values({ tenantId, ...values })
    .onConflictDoUpdate({ target: tenantBilling.tenantId, set: values });
  // A change of plan or of the subscription's standing is the platform's act on Stripe's word.
  if (row?.plan === values.plan && row.status === values.status) await upsert;
  else
    await deps.db.batch([
      upsert,
      auditStatement(deps.db, tenantId, byPlatform, {
        action: "billing.plan_changed",
        target: { kind: "subscription", id: sub.id, label: values.plan },
        metadata: { fromPlan: row?.plan ?? null, toPlan: values.plan, fromStatus: row?.status ?? null, toStatus: values.status },
      }),
    ]);
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

/** One webhook delivery: its signature checked first, then recorded by event id and applied in order. */
export async function handleStripeEvent(
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
