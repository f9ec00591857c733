import {
  createdRun,
  createRunInput,
  createRunResult,
  listRunsInput,
  liveRunEvent,
  run,
  runEventsInput,
  runIdInput,
  runPage,
} from "@autoclaw/shared";
import { startRun } from "../../domain/conversations";
import { actingAs, runSourceOf } from "../../domain/principals";
import { cancelRun, getRun, listRuns, openRunEvents } from "../../domain/runs";
import { accessProcedure, router, trackedEvents } from "../init";

export const runsRouter = router({
  /**
   * Queues a turn for the agent (in one of the caller's conversations, if named); answers at once with
   * the queued run (or the same run again for a repeated idempotency key), or with `waitMs` once it ended.
   */
  create: accessProcedure("run")
    .input(createRunInput)
    .output(createRunResult)
    .mutation(({ ctx, input }) =>
      startRun(ctx.svc, ctx.tenant.id, actingAs(ctx.principal, ctx.tenant.role), runSourceOf(ctx.principal), input),
    ),

  get: accessProcedure("read")
    .input(runIdInput)
    .output(run)
    .query(({ ctx, input }) => getRun(ctx.svc, ctx.tenant.id, actingAs(ctx.principal, ctx.tenant.role), input.id)),

  list: accessProcedure("read")
    .input(listRunsInput)
    .output(runPage)
    .query(({ ctx, input }) => listRuns(ctx.svc.db, ctx.tenant.id, actingAs(ctx.principal, ctx.tenant.role), input)),

  cancel: accessProcedure("run")
    .input(runIdInput)
    .output(createdRun)
    .mutation(({ ctx, input }) => cancelRun(ctx.svc, ctx.tenant.id, input.id, actingAs(ctx.principal, ctx.tenant.role))),

  /** What the run does as it happens (SSE): status, the reply's tokens, tool calls, files, then `done`. Resumes after `lastEventId`. */
  events: accessProcedure("read")
    .input(runEventsInput)
    .output(trackedEvents(liveRunEvent))
    .subscription(({ ctx, input }) =>
      openRunEvents(ctx.svc, ctx.tenant.id, actingAs(ctx.principal, ctx.tenant.role), input.runId, input.lastEventId),
    ),
});
