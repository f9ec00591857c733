import { z } from "zod";
import { billingStatus, checkoutInput, publicPlan, redirectUrl } from "@autoclaw/shared";
import { services } from "../../deps";
import { billingStatus as status, createCheckout, createPortal, publicPlans } from "../../domain/billing";
import { listPairings } from "../../domain/telegram";
import { publicProcedure, router, tenantAdminProcedure, tenantProcedure } from "../init";

export const billingRouter = router({
  /** What /pricing shows; public (no sign-in needed). */
  plans: publicProcedure.output(z.array(publicPlan)).query(({ ctx }) => publicPlans(services(ctx.env))),

  status: tenantProcedure
    .output(billingStatus)
    .query(async ({ ctx }) => status(services(ctx.env), ctx.tenant.id, (await listPairings(ctx.db, ctx.tenant.id)).length)),

  /** A Stripe Checkout page for the plan; the webhook records the subscription when it completes. */
  createCheckout: tenantAdminProcedure
    .input(checkoutInput)
    .output(redirectUrl)
    .mutation(({ ctx, input }) =>
      createCheckout(services(ctx.env), ctx.tenant.id, input.plan, ctx.principal.kind === "user" ? ctx.principal.email : undefined),
    ),

  /** Stripe's customer portal: payment method, invoices, plan changes, cancellation. */
  portal: tenantAdminProcedure.output(redirectUrl).mutation(({ ctx }) => createPortal(services(ctx.env), ctx.tenant.id)),
});
