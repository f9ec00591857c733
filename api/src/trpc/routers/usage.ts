import { usageSummary, usageSummaryInput } from "@autoclaw/shared";
import { usageSummary as summarise } from "../../domain/usage";
import { accessProcedure, router } from "../init";

export const usageRouter = router({
  summary: accessProcedure("read")
    .input(usageSummaryInput)
    .output(usageSummary)
    .query(({ ctx, input }) => summarise(ctx.svc.db, ctx.tenant.id, input)),
});
