import { createdRun, createRunInput, listRunsInput, run, runIdInput, runPage } from "@autoclaw/shared";
import { runSourceOf } from "../../domain/principals";
import { cancelRun, createRun, getRun, listRuns } from "../../domain/runs";
import { router, tenantProcedure } from "../init";

export const runsRouter = router({
  /** Queues a turn for the agent; answers at once with the queued run (or the same run again for a repeated idempotency key). */
  create: tenantProcedure
    .input(createRunInput)
    .output(createdRun)
    .mutation(({ ctx, input }) => createRun(ctx.svc, ctx.tenant.id, input, runSourceOf(ctx.principal))),

  get: tenantProcedure
    .input(runIdInput)
    .output(run)
    .query(({ ctx, input }) => getRun(ctx.svc, ctx.tenant.id, input.id)),

  list: tenantProcedure
    .input(listRunsInput)
    .output(runPage)
    .query(({ ctx, input }) => listRuns(ctx.svc.db, ctx.tenant.id, input)),

  cancel: tenantProcedure
    .input(runIdInput)
    .output(createdRun)
    .mutation(({ ctx, input }) => cancelRun(ctx.svc, ctx.tenant.id, input.id)),
});
