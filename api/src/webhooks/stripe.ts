// POST /api/webhooks/stripe: Stripe's events, verified on the raw body (read as text before anything
// parses it); what each event changes is in domain/billing.ts.
import { handleStripeEvent } from "../domain/billing";
import type { Services } from "../services";

export async function stripeWebhook(req: Request, svc: Services): Promise<Response> {
  if (req.method !== "POST") return Response.json({ error: "Use POST" }, { status: 405 });
  const result = await handleStripeEvent(svc, await req.text(), req.headers.get("stripe-signature"));
  return Response.json(result.body, { status: result.status });
}
