import { auditExport, auditExportInput, auditListInput, auditPage } from "@autoclaw/shared";
import { listAudit, signAuditExport } from "../../domain/audit";
import { accessProcedure, router } from "../init";

/** The team's audit log: read and exported by owners and admins; no procedure edits or deletes an entry. */
export const auditRouter = router({
  /** Newest first, filtered by action, actor and time. */
  list: accessProcedure("audit")
    .input(auditListInput)
    .output(auditPage)
    .query(({ ctx, input }) => listAudit(ctx.svc.db, ctx.tenant.id, input)),

  /** A signed download (CSV or JSON Lines) valid for 15 minutes; fetching it is itself recorded. */
  export: accessProcedure("audit")
    .input(auditExportInput)
    .output(auditExport)
    .mutation(({ ctx, input }) => signAuditExport(ctx.svc.settings, ctx.tenant.id, ctx.by.actor, input)),
});
