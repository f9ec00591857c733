// A small fake of the Stripe API endpoints AutoClaw uses, for tests, demos and benchmarks. Never used
// by production code. It speaks Stripe's wire format (form-encoded requests, JSON objects, Stripe's
// error shape) and, like Stripe, signs the webhook events it sends (stripe's own test signer).
//   POST /v1/checkout/sessions        → a session whose url is this fake's "checkout page"
//   GET  /c/pay/<session>             → the checkout page: "pays", creates an active subscription,
//                                       sends customer.subscription.created + checkout.session.completed
//                                       to the webhook (when configured), then redirects to success_url
//   POST /v1/billing_portal/sessions  → a portal session; GET /p/<session> is a page linking back
//   GET  /v1/subscriptions/<id>       → the subscription as the fake holds it
//   POST /__subscriptions             → (tests) create or replace a subscription (JSON body)
//   GET  /__requests                  → (tests) what the SDK sent
import { createServer, type Server, type ServerResponse } from "node:http";
import { listen, read, send } from "./listen.ts";
import Stripe from "stripe";

export interface FakeStripe {
  url: string;
  requests: { method: string; path: string; params: Record<string, unknown> }[];
  subscriptions: Map<string, Record<string, any>>;
  close(): Promise<void>;
}

export interface FakeStripeOptions {
  port?: number;
  /** Where the fake "Stripe" delivers events after a checkout (AutoClaw's /api/webhooks/stripe). */
  webhookUrl?: string;
  webhookSecret?: string;
}

/** Stripe's form encoding (`a[b][0][c]=v`) back into an object. */
function parseForm(raw: string): Record<string, unknown> {
  const out: Record<string, any> = {};
  for (const [key, value] of new URLSearchParams(raw)) {
    const path = key.replace(/\]/g, "").split("[");
    let node = out;
    path.forEach((part, i) => {
      if (i === path.length - 1) node[part] = value;
      else node = node[part] ??= /^\d+$/.test(path[i + 1]!) ? [] : {};
    });
  }
  return out;
}

const notFound = (res: ServerResponse, what: string) =>
  send(res, 404, { error: { type: "invalid_request_error", message: `No such ${what}`, code: "resource_missing" } });

const signer = new Stripe("sk_test_fake_signer");

/** A Stripe event as the API would send it. */
export function stripeEvent(type: string, object: Record<string, unknown>, created = Math.floor(Date.now() / 1000)) {
  return {
    id: `evt_${Math.random().toString(36).slice(2, 14)}`,
    object: "event",
    api_version: "2025-10-29.clover",
    created,
    type,
    livemode: false,
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
    data: { object },
  };
}

/** Signs a payload the way Stripe does (Stripe-Signature header value). */
export function signStripePayload(payload: string, secret: string, timestamp?: number): Promise<string> {
  return signer.webhooks.generateTestHeaderStringAsync({ payload, secret, ...(timestamp && { timestamp }) });
}

export async function startFakeStripe(opts: FakeStripeOptions = {}): Promise<FakeStripe> {
  const requests: FakeStripe["requests"] = [];
  const sessions = new Map<string, Record<string, any>>();
  const subscriptions = new Map<string, Record<string, any>>();
  let n = 0;
  let base = "";

  async function deliver(event: ReturnType<typeof stripeEvent>) {
    if (!opts.webhookUrl || !opts.webhookSecret) return;
    const payload = JSON.stringify(event);
    await fetch(opts.webhookUrl, {
      method: "POST",
      headers: { "content-type": "application/json", "stripe-signature": await signStripePayload(payload, opts.webhookSecret) },
      body: payload,
    });
  }

  const server: Server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? "/", "http://fake");
      const raw = req.method === "GET" ? "" : await read(req);
      const params = (req.headers["content-type"] ?? "").includes("json") ? JSON.parse(raw || "{}") : parseForm(raw);
      if (url.pathname.startsWith("/v1/")) requests.push({ method: req.method!, path: url.pathname, params });

      if (req.method === "GET" && url.pathname === "/__requests") return send(res, 200, requests);
      if (req.method === "POST" && url.pathname === "/__subscriptions") {
        subscriptions.set(params.id, params);
        return send(res, 200, params);
      }
      if (!url.pathname.startsWith("/v1/") && !url.pathname.startsWith("/c/") && !url.pathname.startsWith("/p/"))
        return notFound(res, "route");
      if (url.pathname.startsWith("/v1/") && !(req.headers.authorization ?? "").startsWith("Bearer sk_")) {
        return send(res, 401, { error: { type: "invalid_request_error", message: "Invalid API Key provided" } });
      }

      if (req.method === "POST" && url.pathname === "/v1/checkout/sessions") {
        if (params.mode !== "subscription" || !(params.line_items as any)?.[0]?.price)
          return send(res, 400, {
            error: { type: "invalid_request_error", message: "line_items[0][price] and mode=subscription are required" },
          });
        const id = `cs_test_${++n}`;
        const session = {
          id,
          object: "checkout.session",
          mode: "subscription",
          status: "open",
          url: `${base}/c/pay/${id}`,
          client_reference_id: params.client_reference_id ?? null,
          customer: params.customer ?? null,
          customer_email: params.customer_email ?? null,
          metadata: params.metadata ?? {},
          subscription_data: params.subscription_data ?? {},
          line_items: params.line_items,
          success_url: params.success_url,
          cancel_url: params.cancel_url,
          subscription: null,
        };
        sessions.set(id, session);
        return send(res, 200, session);
      }
      const pay = url.pathname.match(/^\/c\/pay\/(cs_test_\d+)$/);
      if (req.method === "GET" && pay) {
        const session = sessions.get(pay[1]!);
        if (!session) return notFound(res, "checkout session");
        const customer = session.customer ?? `cus_test_${++n}`;
        const now = Math.floor(Date.now() / 1000);
        const sub = {
          id: `sub_test_${++n}`,
          object: "subscription",
          status: "active",
          customer,
          metadata: session.subscription_data?.metadata ?? {},
          items: {
            object: "list",
            data: [
              {
                id: `si_${n}`,
                object: "subscription_item",
                price: { id: session.line_items[0].price, object: "price" },
                current_period_start: now,
                current_period_end: now + 30 * 86_400,
              },
            ],
          },
          created: now,
        };
        subscriptions.set(sub.id, sub);
        Object.assign(session, { status: "complete", customer, subscription: sub.id });
        await deliver(stripeEvent("customer.subscription.created", sub, now));
        await deliver(stripeEvent("checkout.session.completed", session, now));
        res.writeHead(303, { location: session.success_url });
        return res.end();
      }
      if (req.method === "POST" && url.pathname === "/v1/billing_portal/sessions") {
        if (!params.customer) return send(res, 400, { error: { type: "invalid_request_error", message: "customer is required" } });
        const id = `bps_test_${++n}`;
        const portal = {
          id,
          object: "billing_portal.session",
          customer: params.customer,
          return_url: params.return_url,
          url: `${base}/p/${id}`,
        };
        sessions.set(id, portal);
        return send(res, 200, portal);
      }
      const portalPage = url.pathname.match(/^\/p\/(bps_test_\d+)$/);
      if (req.method === "GET" && portalPage) {
        const portal = sessions.get(portalPage[1]!);
        if (!portal) return notFound(res, "portal session");
        res.writeHead(200, { "content-type": "text/html" });
        return res.end(
          `<!doctype html><title>Billing portal (fake)</title><h1>Billing portal</h1><p>Customer ${portal.customer}</p><a href="${portal.return_url}">Return to AutoClaw</a>`,
        );
      }
      const subPath = url.pathname.match(/^\/v1\/subscriptions\/([\w-]+)$/);
      if (req.method === "GET" && subPath) {
        const sub = subscriptions.get(subPath[1]!);
        return sub ? send(res, 200, sub) : notFound(res, "subscription");
      }
      return notFound(res, "route");
    })().catch((e) => send(res, 500, { error: { type: "api_error", message: String(e) } }));
  });
  const { url, close } = await listen(server, opts.port);
  base = url;
  return { url, requests, subscriptions, close };
}

// `node fakes/stripe.ts [port] [webhookUrl] [webhookSecret]`: run it on its own.
if (import.meta.url === `file://${process.argv[1]}`) {
  const [port, webhookUrl, webhookSecret] = process.argv.slice(2);
  const fake = await startFakeStripe({ port: Number(port ?? 18997), webhookUrl, webhookSecret });
  console.log(`Fake Stripe API at ${fake.url} (STRIPE_API_BASE)${webhookUrl ? `, sending events to ${webhookUrl}` : ""}`);
}
