import { z } from "zod";
import { addMemberInput, createTenantInput, removeMemberInput, tenant, tenantOverview, tenantWithRole } from "@autoclaw/shared";
import { addMember, createTenant, removeMember, tenantOverview as overview, tenantsOf } from "../../domain/tenants";
import { accessProcedure, authedProcedure, router, userProcedure } from "../init";

export const tenantsRouter = router({
  create: userProcedure
    .input(createTenantInput)
    .output(tenant)
    .mutation(({ ctx, input }) => createTenant(ctx.svc.db, ctx.user.userId, input.name, ctx.svc.settings.MAX_TEAMS_PER_ACCOUNT)),

  /** A user's teams; an API key sees the one team it belongs to. */
  list: authedProcedure.output(z.array(tenantWithRole)).query(({ ctx }) => tenantsOf(ctx.svc.db, ctx.principal)),

  current: accessProcedure("read")
    .output(tenantOverview)
    .query(({ ctx }) => overview(ctx.svc.db, ctx.tenant.id, ctx.tenant.role)),

  addMember: accessProcedure("manageTeam")
    .input(addMemberInput)
    .output(tenantOverview)
    .mutation(({ ctx, input }) => addMember(ctx.svc.db, ctx.tenant.id, input, ctx.tenant.role)),

  removeMember: accessProcedure("manageTeam")
    .input(removeMemberInput)
    .output(tenantOverview)
    .mutation(({ ctx, input }) => removeMember(ctx.svc.db, ctx.tenant.id, input.userId, ctx.tenant.role)),
});
