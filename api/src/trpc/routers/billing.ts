import { z } from "zod";
import { billingStatus, checkoutInput, publicPlan, redirectUrl } from "@autoclaw/shared";
import { createCheckout, createPortal, publicPlans } from "../../domain/billing";
import { billingStatus as status } from "../../domain/entitlements";
import { accessProcedure, publicProcedure, router } from "../init";

export const billingRouter = router({
  /** What /pricing shows; public (no sign-in needed). */
  plans: publicProcedure.output(z.array(publicPlan)).query(({ ctx }) => publicPlans(ctx.svc)),

  status: accessProcedure("read")
    .output(billingStatus)
    .query(({ ctx }) => status(ctx.svc, ctx.tenant.id)),

  /** A Stripe Checkout page for the plan; the webhook records the subscription when it completes. */
  createCheckout: accessProcedure("own")
    .input(checkoutInput)
    .output(redirectUrl)
    .mutation(({ ctx, input }) => createCheckout(ctx.svc, ctx.tenant.id, input.plan, ctx.principal)),

  /** Stripe's customer portal: payment method, invoices, plan changes, cancellation. */
  portal: accessProcedure("own")
    .output(redirectUrl)
    .mutation(({ ctx }) => createPortal(ctx.svc, ctx.tenant.id)),
});
