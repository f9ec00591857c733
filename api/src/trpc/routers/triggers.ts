import { z } from "zod";
import { createdTrigger, createTriggerInput, listTriggersInput, triggerIdInput, triggerSummary } from "@autoclaw/shared";
import { createTrigger, listTriggers, revokeTrigger } from "../../domain/triggers";
import { accessProcedure, router } from "../init";

/** Webhook URLs that start a run of an agent (`POST /api/triggers/<id>`, the secret as a bearer token). */
export const triggersRouter = router({
  /** The secret is in this answer only. */
  create: accessProcedure("manageAgents")
    .input(createTriggerInput)
    .output(createdTrigger)
    .mutation(({ ctx, input }) => createTrigger(ctx.svc, ctx.tenant.id, ctx.by, input)),

  list: accessProcedure("read")
    .input(listTriggersInput)
    .output(z.array(triggerSummary))
    .query(({ ctx, input }) => listTriggers(ctx.svc, ctx.tenant.id, input.agentId)),

  /** Stops working at once. */
  revoke: accessProcedure("manageAgents")
    .input(triggerIdInput)
    .output(z.object({ id: z.string() }))
    .mutation(({ ctx, input }) => revokeTrigger(ctx.svc.db, ctx.tenant.id, input.id, ctx.by)),
});
