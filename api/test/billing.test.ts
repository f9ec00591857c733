// Stripe billing in workerd: the Worker under test has billing off (the local default); these tests
// call its fetch handler with Stripe settings added, against the fake Stripe API, and post events
// signed with stripe's own test signer.
import { createExecutionContext, env } from "cloudflare:test";
import { createTRPCClient, httpLink } from "@trpc/client";
import { describe, expect, it } from "vitest";
import worker from "../src/index";
import { parseSettings } from "../src/config";
import { createDb } from "../src/db/client";
import { telegramSeats } from "../src/domain/entitlements";
import { createPairingCode, redeemPairingCode } from "../src/domain/telegram-pairing";
import type { AppRouter } from "../src/trpc/router";
import { signStripePayload, stripeEvent } from "../../fakes/stripe";
import { agentOnFakeModel, client, expectTrpcError, headersFor, ORIGIN, signUp, signUpWithTeam, unique, type Caller } from "./helpers";

const SECRET = "whsec_test_autoclaw_0123456789";
const billingEnv = {
  ...env,
  STRIPE_SECRET_KEY: "sk_test_autoclaw",
  STRIPE_WEBHOOK_SECRET: SECRET,
  STRIPE_API_BASE: env.FAKE_STRIPE_URL,
  STRIPE_PRICE_PRO: "price_pro_test",
  STRIPE_PRICE_TEAM: "price_team_test",
};
const billed = (req: Request) => worker.fetch(req, billingEnv as never, createExecutionContext());

/** A tRPC client for the Worker with billing on. */
function billingClient(c: Caller) {
  return createTRPCClient<AppRouter>({
    links: [
      httpLink({
        url: `${ORIGIN}/trpc`,
        headers: () => headersFor(c),
        fetch: (url, init) => billed(new Request(url as string, init as RequestInit)),
      }),
    ],
  });
}

async function billedTeam(label: string) {
  const user = await signUp(label);
  const team = await client({ cookie: user.cookie }).tenants.create.mutate({ name: `Team ${label}` });
  return {
    team,
    api: billingClient({ cookie: user.cookie, tenantId: team.id }),
    plain: client({ cookie: user.cookie, tenantId: team.id }),
  };
}

async function post(event: object, secret = SECRET) {
  const payload = JSON.stringify(event);
  const res = await billed(
    new Request(`${ORIGIN}/api/webhooks/stripe`, {
      method: "POST",
      headers: { "content-type": "application/json", "stripe-signature": await signStripePayload(payload, secret) },
      body: payload,
    }),
  );
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** A subscription as Stripe holds it (in the fake, for retrieve) — `created`/period in seconds. */
async function subscription(tenantId: string, status: string, opts: { id?: string; customer?: string; price?: string } = {}) {
  const now = Math.floor(Date.now() / 1000);
  const sub = {
    id: opts.id ?? `sub_${unique("t")}`,
    object: "subscription",
    status,
    customer: opts.customer ?? `cus_${unique("c")}`,
    metadata: { tenantId, plan: "pro" },
    items: {
      object: "list",
      data: [
        {
          id: "si_1",
          object: "subscription_item",
          price: { id: opts.price ?? "price_pro_test", object: "price" },
          current_period_end: now + 30 * 86_400,
        },
      ],
    },
  };
  await fetch(`${env.FAKE_STRIPE_URL}/__subscriptions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(sub),
  });
  return sub;
}

const now = () => Math.floor(Date.now() / 1000);

describe("billing off (the local default)", () => {
  it("every team is on the development plan: nothing to buy, nothing refused", async () => {
    const { api } = await signUpWithTeam("dev-plan");
    expect(await api.billing.status.query()).toMatchObject({
      billingEnabled: false,
      plan: "development",
      planName: "Development",
      status: "active",
      canRun: true,
    });
    await expectTrpcError(api.billing.createCheckout.mutate({ plan: "pro" }), "PRECONDITION_FAILED");
    expect((await api.billing.plans.query()).every((p) => !p.purchasable)).toBe(true);
  });
});

describe("billing on", () => {
  it("lists the plans publicly; a new team is on the free trial with its limits", async () => {
    const plans = await billingClient({}).billing.plans.query();
    expect(plans.map((p) => [p.id, p.purchasable])).toEqual([
      ["trial", false],
      ["pro", true],
      ["team", true],
    ]);
    const { api } = await billedTeam("trial");
    const status = await api.billing.status.query();
    expect(status).toMatchObject({
      billingEnabled: true,
      plan: "trial",
      status: "trialing",
      canRun: true,
      limits: { agents: 2, runsPerMonth: 200 },
    });
    expect(new Date(status.currentPeriodEnd!).getTime() - Date.now()).toBeGreaterThan(13.9 * 86_400_000);
    await api.agents.create.mutate({ templateId: "personal-assistant", name: "One" });
    await api.agents.create.mutate({ templateId: "personal-assistant", name: "Two" });
    const e = await expectTrpcError(api.agents.create.mutate({ templateId: "personal-assistant", name: "Three" }), "FORBIDDEN");
    expect(e.message).toMatch(/Free trial plan includes 2 agents/);
  });

  it("holds the plan's agent limit against calls at once: 20 creations on a 2-agent plan make 2 agents", async () => {
    const { api } = await billedTeam("agent-race");
    const attempts = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) => api.agents.create.mutate({ templateId: "personal-assistant", name: `Racer ${i}` })),
    );
    expect(attempts.filter((a) => a.status === "fulfilled")).toHaveLength(2);
    for (const a of attempts) if (a.status === "rejected") expect(String(a.reason)).toMatch(/Free trial plan includes 2 agents/);
    expect(await api.agents.list.query()).toHaveLength(2);
  });

  it("refuses runs when the trial is over, or the month's runs are used up", async () => {
    const { api, team, plain } = await billedTeam("trial-over");
    const agent = await agentOnFakeModel(plain);
    const old = Date.now() - 15 * 86_400_000;
    await env.DB.prepare("update tenants set created_at = ? where id = ?").bind(old, team.id).run();
    const e = await expectTrpcError(api.runs.create.mutate({ agentId: agent.id, input: "hi" }), "FORBIDDEN");
    expect(e.message).toMatch(/free trial ended .* Choose a plan on the Pricing page/);

    const busy = await billedTeam("runs-used");
    const a2 = await agentOnFakeModel(busy.plain);
    const stmt = env.DB.prepare(
      "insert into runs (id, tenant_id, agent_id, status, source, input, model, created_at, updated_at) values (?, ?, ?, 'succeeded', 'api', 'x', 'custom/echo', ?, ?)",
    );
    await env.DB.batch(
      Array.from({ length: 200 }, (_, i) => stmt.bind(`run_used_${busy.team.id}_${i}`, busy.team.id, a2.id, Date.now(), Date.now())),
    );
    expect((await busy.api.billing.status.query()).usage.runsThisMonth).toBe(200);
    expect((await expectTrpcError(busy.api.runs.create.mutate({ agentId: a2.id, input: "one more" }), "FORBIDDEN")).message).toMatch(
      /used the 200 runs of its Free trial plan this month/,
    );
  });

  it("holds the month's runs against calls at once: 10 runs started for the last place make 1", async () => {
    const { api, team, plain } = await billedTeam("run-race");
    const agent = await agentOnFakeModel(plain);
    const stmt = env.DB.prepare(
      "insert into runs (id, tenant_id, agent_id, status, source, input, model, created_at, updated_at) values (?, ?, ?, 'succeeded', 'api', 'x', 'custom/echo', ?, ?)",
    );
    await env.DB.batch(
      Array.from({ length: 199 }, (_, i) => stmt.bind(`run_race_${team.id}_${i}`, team.id, agent.id, Date.now(), Date.now())),
    );
    const attempts = await Promise.allSettled(
      Array.from({ length: 10 }, (_, i) => api.runs.create.mutate({ agentId: agent.id, input: `race ${i}` })),
    );
    expect(attempts.filter((a) => a.status === "fulfilled")).toHaveLength(1);
    for (const a of attempts) if (a.status === "rejected") expect(String(a.reason)).toMatch(/used the 200 runs of its Free trial plan/);
    expect((await api.billing.status.query()).usage.runsThisMonth).toBe(200);
  });

  it("checkout → completed event → the team is on Pro and active, with a portal", async () => {
    const { api, team } = await billedTeam("checkout");
    const { url } = await api.billing.createCheckout.mutate({ plan: "pro" });
    expect(url).toMatch(new RegExp(`^${env.FAKE_STRIPE_URL}/c/pay/cs_test_\\d+$`));
    const sent = ((await (await fetch(`${env.FAKE_STRIPE_URL}/__requests`)).json()) as { path: string; params: any }[]).filter(
      (r) => r.path === "/v1/checkout/sessions" && r.params.client_reference_id === team.id,
    );
    expect(sent[0]!.params).toMatchObject({
      mode: "subscription",
      line_items: [{ price: "price_pro_test", quantity: "1" }],
      metadata: { tenantId: team.id, plan: "pro" },
      success_url: "http://127.0.0.1:5173/billing?checkout=success",
    });
    await expectTrpcError(api.billing.portal.mutate(), "PRECONDITION_FAILED"); // no customer yet

    const sub = await subscription(team.id, "active");
    const completed = await post(
      stripeEvent("checkout.session.completed", {
        id: "cs_x",
        object: "checkout.session",
        client_reference_id: team.id,
        customer: sub.customer,
        subscription: sub.id,
        metadata: { tenantId: team.id },
      }),
    );
    expect(completed).toEqual({ status: 200, body: { received: true, outcome: "applied" } });
    const status = await api.billing.status.query();
    expect(status).toMatchObject({
      plan: "pro",
      planName: "Pro",
      status: "active",
      canRun: true,
      hasCustomer: true,
      limits: { agents: 10 },
    });
    expect(new Date(status.currentPeriodEnd!).getTime()).toBeGreaterThan(Date.now() + 29 * 86_400_000);
    expect((await api.billing.portal.mutate()).url).toMatch(/\/p\/bps_test_\d+$/);
  });

  it("a canceled subscription refuses runs; a failed payment is past_due with a grace period", async () => {
    const { api, team, plain } = await billedTeam("cancel");
    const agent = await agentOnFakeModel(plain);
    const sub = await subscription(team.id, "active");
    await post(stripeEvent("customer.subscription.created", sub, now() - 10));
    expect((await api.runs.create.mutate({ agentId: agent.id, input: "allowed" })).status).toBe("queued");

    const failed = await subscription(team.id, "past_due", { id: sub.id, customer: sub.customer });
    await post(
      stripeEvent("invoice.payment_failed", { id: "in_1", object: "invoice", customer: sub.customer, subscription: failed.id }, now() - 5),
    );
    expect(await api.billing.status.query()).toMatchObject({ status: "past_due", canRun: true });
    expect((await api.runs.create.mutate({ agentId: agent.id, input: "in grace" })).status).toBe("queued");
    await env.DB.prepare("update tenant_billing set past_due_since = ? where tenant_id = ?")
      .bind(Date.now() - 4 * 86_400_000, team.id)
      .run();
    expect((await expectTrpcError(api.runs.create.mutate({ agentId: agent.id, input: "after grace" }), "FORBIDDEN")).message).toMatch(
      /3-day grace period is over/,
    );

    await post(stripeEvent("customer.subscription.deleted", { ...sub, status: "canceled" }, now()));
    expect(await api.billing.status.query()).toMatchObject({ status: "canceled", canRun: false });
    const refused = await expectTrpcError(api.runs.create.mutate({ agentId: agent.id, input: "refused" }), "FORBIDDEN");
    expect(refused.message).toBe("This team's subscription is canceled. Choose a plan on the Pricing page to run agents again.");
  });

  it("records each plan or standing change Stripe reports in the audit log, by the platform, once", async () => {
    const { api, team } = await billedTeam("audit-plan");
    const sub = await subscription(team.id, "active");
    await post(stripeEvent("customer.subscription.created", sub, now() - 20));
    await post(stripeEvent("customer.subscription.updated", { ...sub, status: "active" }, now() - 10)); // same state: nothing new
    await post(stripeEvent("customer.subscription.updated", { ...sub, status: "past_due" }, now()));
    const changes = (await api.audit.list.query({ action: "billing.plan_changed" })).items;
    expect(changes.map((e) => [e.actor.kind, e.metadata.fromStatus, e.metadata.toStatus, e.metadata.toPlan])).toEqual([
      ["platform", "active", "past_due", "pro"],
      ["platform", null, "active", "pro"],
    ]);
  });

  it("never lets an older event overwrite newer state (updated before created; an old update after a new one)", async () => {
    const { api, team } = await billedTeam("order");
    const sub = await subscription(team.id, "active");
    const t = now();
    await post(stripeEvent("customer.subscription.updated", { ...sub, status: "active" }, t));
    expect((await post(stripeEvent("customer.subscription.created", { ...sub, status: "incomplete" }, t - 60))).body.outcome).toBe("stale");
    expect((await api.billing.status.query()).status).toBe("active");
    await post(stripeEvent("customer.subscription.updated", { ...sub, status: "past_due" }, t + 60));
    expect((await post(stripeEvent("customer.subscription.updated", { ...sub, status: "active" }, t + 30))).body.outcome).toBe("stale");
    expect((await api.billing.status.query()).status).toBe("past_due");
  });

  it("one subscription per team: a second checkout is refused while one is live, and another subscription's events change nothing", async () => {
    const { api, team } = await billedTeam("one-sub");
    const current = await subscription(team.id, "active");
    await post(stripeEvent("customer.subscription.created", current, now() - 10));
    const refused = await expectTrpcError(api.billing.createCheckout.mutate({ plan: "team" }), "PRECONDITION_FAILED");
    expect(refused.message).toMatch(/already has a subscription: change the plan under Billing → Manage billing/);
    // A newer event about some other subscription naming this team (an old one, a stray one).
    const other = await subscription(team.id, "canceled", { customer: current.customer });
    const outcome = await post(stripeEvent("customer.subscription.deleted", other, now()));
    expect(outcome.body.outcome).toBe("ignored: not the team's current subscription");
    expect(await api.billing.status.query()).toMatchObject({ status: "active", canRun: true });
  });

  it("two events of the same second are settled by Stripe's current state, never by arrival order", async () => {
    const { api, team } = await billedTeam("same-second");
    // Stripe's truth: past_due. Its two events carry the same second and arrive in the wrong order.
    const sub = await subscription(team.id, "past_due");
    const t = now();
    await post(stripeEvent("customer.subscription.updated", { ...sub, status: "past_due" }, t));
    await post(stripeEvent("customer.subscription.updated", { ...sub, status: "active" }, t));
    expect((await api.billing.status.query()).status).toBe("past_due");
  });

  it("a replayed event does nothing; unknown event types are acknowledged and ignored", async () => {
    const { api, team } = await billedTeam("replay");
    const sub = await subscription(team.id, "active");
    const first = stripeEvent("customer.subscription.updated", { ...sub, status: "active" }, now() - 100);
    expect((await post(first)).body).toEqual({ received: true, outcome: "applied" });
    await post(stripeEvent("customer.subscription.updated", { ...sub, status: "canceled" }, now()));
    expect((await post(first)).body).toEqual({ received: true, duplicate: true });
    expect((await api.billing.status.query()).status).toBe("canceled");
    expect(await post(stripeEvent("customer.created", { id: "cus_new", object: "customer" }))).toEqual({
      status: 200,
      body: { received: true, outcome: "ignored" },
    });
  });

  it("refuses a forged or missing signature with 400 and writes nothing", async () => {
    const { api, team } = await billedTeam("forged");
    const sub = await subscription(team.id, "active");
    const forged = stripeEvent("customer.subscription.created", sub);
    expect((await post(forged, "whsec_not_the_secret")).status).toBe(400);
    const unsigned = await billed(new Request(`${ORIGIN}/api/webhooks/stripe`, { method: "POST", body: JSON.stringify(forged) }));
    expect(unsigned.status).toBe(400);
    expect(await env.DB.prepare("select id from stripe_events where id = ?").bind(forged.id).first()).toBeNull();
    expect((await api.billing.status.query()).plan).toBe("trial");
  });

  it("a Telegram account beyond the plan's seats is refused, without spending the code", async () => {
    const { team } = await billedTeam("seats");
    const db = createDb(env.DB);
    const settings = parseSettings(billingEnv);
    const deps = { db, settings };
    const base = 91_000_000 + Math.floor(Math.random() * 100_000) * 10;
    for (const id of [base + 1, base + 2]) {
      await env.DB.prepare(
        "insert into telegram_pairings (telegram_user_id, tenant_id, chat_id, name, paired_at) values (?, ?, ?, 'Seated', ?)",
      )
        .bind(id, team.id, id, Date.now())
        .run();
    }
    const { code } = await createPairingCode(db, settings, team.id, "user");
    const third = { id: base + 3, chatId: base + 3, name: "Third" };
    const refused = await redeemPairingCode(db, third, code, telegramSeats(deps, third.id));
    expect(refused).toEqual({
      ok: false,
      reason: "no-seat",
      message: expect.stringMatching(/^All 2 Telegram seats of the team's Free trial plan are taken/),
    });
    await env.DB.prepare("delete from telegram_pairings where telegram_user_id = ?")
      .bind(base + 1)
      .run(); // an admin unpairs someone
    expect(await redeemPairingCode(db, third, code, telegramSeats(deps, third.id))).toMatchObject({ ok: true });
  });

  it("the last Telegram seat goes to one person when several pair at once (checked in the pairing's batch)", async () => {
    const { team } = await billedTeam("seat-race");
    const db = createDb(env.DB);
    const settings = parseSettings(billingEnv);
    const deps = { db, settings };
    const base = 92_000_000 + Math.floor(Math.random() * 100_000) * 10;
    await env.DB.prepare(
      "insert into telegram_pairings (telegram_user_id, tenant_id, chat_id, name, paired_at) values (?, ?, ?, 'Seated', ?)",
    )
      .bind(base, team.id, base, Date.now())
      .run();
    const people = [1, 2, 3, 4].map((i) => ({ id: base + i, chatId: base + i, name: `Racer ${i}` }));
    const codes = await Promise.all(people.map(() => createPairingCode(db, settings, team.id, "user")));
    const results = await Promise.all(people.map((p, i) => redeemPairingCode(db, p, codes[i]!.code, telegramSeats(deps, p.id))));
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    expect(results.filter((r) => !r.ok && r.reason === "no-seat")).toHaveLength(3);
    const seated = await env.DB.prepare("select count(*) as n from telegram_pairings where tenant_id = ?")
      .bind(team.id)
      .first<{ n: number }>();
    expect(seated!.n).toBe(2);
    // The refused people's codes were not spent.
    const spent = await env.DB.prepare("select count(*) as n from telegram_pairing_codes where tenant_id = ? and used_at is not null")
      .bind(team.id)
      .first<{ n: number }>();
    expect(spent!.n).toBe(1);
  });
});
