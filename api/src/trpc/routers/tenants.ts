import { z } from "zod";
import { addMemberInput, createTenantInput, removeMemberInput, tenant, tenantOverview, tenantWithRole } from "@autoclaw/shared";
import { addMember, createTenant, listTenantsOfUser, getTenant, removeMember, tenantOverview as overview } from "../../domain/tenants";
import { router, tenantAdminProcedure, tenantProcedure, userProcedure, publicProcedure } from "../init";
import { TRPCError } from "@trpc/server";

export const tenantsRouter = router({
  create: userProcedure
    .input(createTenantInput)
    .output(tenant)
    .mutation(({ ctx, input }) => createTenant(ctx.db, ctx.user.userId, input.name)),

  /** A user's teams; an API key sees the one team it belongs to. */
  list: publicProcedure.output(z.array(tenantWithRole)).query(async ({ ctx }) => {
    const p = ctx.principal;
    if (!p) throw new TRPCError({ code: "UNAUTHORIZED", message: "Sign in or send an API key" });
    if (p.kind === "user") return listTenantsOfUser(ctx.db, p.userId);
    const t = await getTenant(ctx.db, p.tenantId);
    return [{ id: t.id, name: t.name, role: "admin" as const }];
  }),

  current: tenantProcedure.output(tenantOverview).query(({ ctx }) => overview(ctx.db, ctx.tenant.id, ctx.tenant.role)),

  addMember: tenantAdminProcedure
    .input(addMemberInput)
    .output(tenantOverview)
    .mutation(async ({ ctx, input }) => {
      await addMember(ctx.db, ctx.tenant.id, input);
      return overview(ctx.db, ctx.tenant.id, ctx.tenant.role);
    }),

  removeMember: tenantAdminProcedure
    .input(removeMemberInput)
    .output(tenantOverview)
    .mutation(async ({ ctx, input }) => {
      await removeMember(ctx.db, ctx.tenant.id, input.userId);
      return overview(ctx.db, ctx.tenant.id, ctx.tenant.role);
    }),
});
