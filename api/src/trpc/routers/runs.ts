import { createdRun, createRunInput, listRunsInput, run, runIdInput, runPage } from "@autoclaw/shared";
import { actorOf, cancellerOf, runSourceOf } from "../../domain/principals";
import { cancelRun, createRun, getRun, listRuns } from "../../domain/runs";
import { accessProcedure, router } from "../init";

export const runsRouter = router({
  /** Queues a turn for the agent; answers at once with the queued run (or the same run again for a repeated idempotency key). */
  create: accessProcedure("run")
    .input(createRunInput)
    .output(createdRun)
    .mutation(({ ctx, input }) =>
      createRun(ctx.svc, ctx.tenant.id, input, runSourceOf(ctx.principal), { createdBy: actorOf(ctx.principal) }),
    ),

  get: accessProcedure("read")
    .input(runIdInput)
    .output(run)
    .query(({ ctx, input }) => getRun(ctx.svc, ctx.tenant.id, input.id)),

  list: accessProcedure("read")
    .input(listRunsInput)
    .output(runPage)
    .query(({ ctx, input }) => listRuns(ctx.svc.db, ctx.tenant.id, input)),

  cancel: accessProcedure("run")
    .input(runIdInput)
    .output(createdRun)
    .mutation(({ ctx, input }) => cancelRun(ctx.svc, ctx.tenant.id, input.id, cancellerOf(ctx.principal, ctx.tenant.role))),
});
