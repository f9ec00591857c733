import { runtimeCheck, runtimeLogs, runtimeLogsInput, runtimeStatus } from "@autoclaw/shared";
import { checkRuntime } from "../../domain/runtime-check";
import { requireRuntime, restartRuntime, runtimeLogLines, runtimeStatus as status, startRuntime, stopRuntime } from "../../domain/runtime";
import { accessProcedure, router } from "../init";

export const runtimeRouter = router({
  status: accessProcedure("read")
    .output(runtimeStatus)
    .query(({ ctx }) => status(requireRuntime(ctx.svc), ctx.tenant.id)),

  start: accessProcedure("manageTeam")
    .output(runtimeStatus)
    .mutation(({ ctx }) => startRuntime(requireRuntime(ctx.svc), ctx.tenant.id, ctx.by)),

  stop: accessProcedure("manageTeam")
    .output(runtimeStatus)
    .mutation(({ ctx }) => stopRuntime(requireRuntime(ctx.svc), ctx.tenant.id, { by: ctx.by, action: "runtime.stopped" })),

  /** Stop, then start: the gateway comes back with fresh secrets and the agents' saved workspace. */
  restart: accessProcedure("manageTeam")
    .output(runtimeStatus)
    .mutation(({ ctx }) => restartRuntime(requireRuntime(ctx.svc), ctx.tenant.id, ctx.by)),

  /** OpenClaw's own diagnostics of the running gateway (security audit, doctor's lint); never starts one. */
  check: accessProcedure("manageTeam")
    .output(runtimeCheck)
    .mutation(({ ctx }) => checkRuntime(requireRuntime(ctx.svc), ctx.tenant.id)),

  /** Recent gateway log lines, for diagnosing a runtime that will not start or answer. */
  logs: accessProcedure("manageTeam")
    .input(runtimeLogsInput)
    .output(runtimeLogs)
    .query(({ ctx, input }) => runtimeLogLines(requireRuntime(ctx.svc), ctx.tenant.id, input.lines)),
});
