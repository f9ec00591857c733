import { z } from "zod";
import {
  createTenantInput,
  invitation,
  invitationIdInput,
  invitationSent,
  inviteInput,
  removeMemberInput,
  setRoleInput,
  tenant,
  tenantOverview,
  tenantWithRole,
} from "@autoclaw/shared";
import { personBy, personOf } from "../../domain/principals";
import { invite, revokeInvitation, teamInvitations } from "../../domain/invitations";
import { createTenant, leaveTenant, removeMember, setMemberRole, tenantOverview as overview, tenantsOf } from "../../domain/tenants";
import { accessProcedure, authedProcedure, router, userProcedure } from "../init";

export const tenantsRouter = router({
  create: userProcedure
    .input(createTenantInput)
    .output(tenant)
    .mutation(({ ctx, input }) => createTenant(ctx.svc.db, personBy(ctx.by), input.name, ctx.svc.settings.MAX_TEAMS_PER_ACCOUNT)),

  /** A user's teams; an API key sees the one team it belongs to. */
  list: authedProcedure.output(z.array(tenantWithRole)).query(({ ctx }) => tenantsOf(ctx.svc.db, ctx.principal)),

  current: accessProcedure("read")
    .output(tenantOverview)
    .query(({ ctx }) => overview(ctx.svc.db, ctx.tenant.id, ctx.tenant.role)),

  invite: accessProcedure("manageTeam")
    .input(inviteInput)
    .output(invitationSent)
    .mutation(({ ctx, input }) => invite(ctx.svc, ctx.tenant.id, personOf(ctx.principal), input, ctx.by)),

  invitations: accessProcedure("manageTeam")
    .output(z.array(invitation))
    .query(({ ctx }) => teamInvitations(ctx.svc.db, ctx.tenant.id)),

  revokeInvitation: accessProcedure("manageTeam")
    .input(invitationIdInput)
    .output(z.object({ revoked: z.literal(true) }))
    .mutation(async ({ ctx, input }) => {
      await revokeInvitation(ctx.svc.db, ctx.tenant.id, input.id, ctx.by);
      return { revoked: true as const };
    }),

  setRole: accessProcedure("manageTeam")
    .input(setRoleInput)
    .output(tenantOverview)
    .mutation(({ ctx, input }) =>
      setMemberRole(ctx.svc.db, ctx.tenant.id, input, { userId: personOf(ctx.principal).userId, role: ctx.tenant.role, by: ctx.by }),
    ),

  removeMember: accessProcedure("manageTeam")
    .input(removeMemberInput)
    .output(tenantOverview)
    .mutation(({ ctx, input }) => removeMember(ctx.svc.db, ctx.tenant.id, input.userId, { role: ctx.tenant.role, by: ctx.by })),

  leave: accessProcedure("leave")
    .output(z.object({ left: z.literal(true) }))
    .mutation(async ({ ctx }) => {
      await leaveTenant(ctx.svc.db, ctx.tenant.id, personBy(ctx.by));
      return { left: true as const };
    }),
});
