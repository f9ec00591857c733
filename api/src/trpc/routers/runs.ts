import { createdRun, createRunInput, listRunsInput, run, runIdInput, runPage } from "@autoclaw/shared";
import { cancelRun, createRun, getRun, listRuns } from "../../domain/runs";
import { runDeps } from "../../deps";
import { router, tenantProcedure } from "../init";

export const runsRouter = router({
  /** Queues a turn for the agent; answers at once with the queued run (or the same run again for a repeated idempotency key). */
  create: tenantProcedure
    .input(createRunInput)
    .output(createdRun)
    .mutation(({ ctx, input }) => createRun(runDeps(ctx.env), ctx.tenant.id, input, ctx.principal.kind === "apiKey" ? "api" : "dashboard")),

  get: tenantProcedure
    .input(runIdInput)
    .output(run)
    .query(({ ctx, input }) => getRun(ctx, ctx.tenant.id, input.id)),

  list: tenantProcedure
    .input(listRunsInput)
    .output(runPage)
    .query(({ ctx, input }) => listRuns(ctx.db, ctx.tenant.id, input)),

  cancel: tenantProcedure
    .input(runIdInput)
    .output(createdRun)
    .mutation(({ ctx, input }) => cancelRun(runDeps(ctx.env), ctx.tenant.id, input.id)),
});
