import { runtimeLogs, runtimeLogsInput, runtimeStatus } from "@autoclaw/shared";
import { services } from "../../deps";
import { DomainError } from "../../domain/errors";
import type { AppEnv } from "../../env";
import { ensureRuntimeReady, runtimeStatus as status, stopRuntime } from "../../domain/runtime";
import { assertCanStartRuntime } from "../../domain/billing";
import { router, tenantAdminProcedure, tenantProcedure } from "../init";

function runtimeOf(env: AppEnv) {
  const svc = services(env);
  if (svc.settings.TENANT_RUNTIME === "direct")
    throw new DomainError("PRECONDITION_FAILED", "This AutoClaw runs without tenant runtimes (TENANT_RUNTIME=direct)");
  return svc.runtime();
}

export const runtimeRouter = router({
  status: tenantProcedure.output(runtimeStatus).query(({ ctx }) => status(runtimeOf(ctx.env), ctx.tenant.id)),

  start: tenantAdminProcedure.output(runtimeStatus).mutation(async ({ ctx }) => {
    const rt = runtimeOf(ctx.env);
    await assertCanStartRuntime(rt, ctx.tenant.id);
    await ensureRuntimeReady(rt, ctx.tenant.id);
    return status(rt, ctx.tenant.id);
  }),

  stop: tenantAdminProcedure.output(runtimeStatus).mutation(({ ctx }) => stopRuntime(runtimeOf(ctx.env), ctx.tenant.id)),

  /** Recent gateway log lines, for diagnosing a runtime that will not start or answer. */
  logs: tenantProcedure
    .input(runtimeLogsInput)
    .output(runtimeLogs)
    .query(async ({ ctx, input }) => ({
      lines: await runtimeOf(ctx.env)
        .driver.logs(ctx.tenant.id, input.lines)
        .catch(() => []),
    })),
});
