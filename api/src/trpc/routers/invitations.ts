import { invitationIdInput, myInvitations, tenantWithRole } from "@autoclaw/shared";
import { z } from "zod";
import { acceptInvitation, declineInvitation, myInvitations as mine } from "../../domain/invitations";
import { router, userProcedure } from "../init";

/** Invitations addressed to the signed-in person (a key has no email to be invited at). */
export const invitationsRouter = router({
  mine: userProcedure.output(myInvitations).query(({ ctx }) => mine(ctx.svc.db, ctx.user)),

  accept: userProcedure
    .input(invitationIdInput)
    .output(tenantWithRole)
    .mutation(({ ctx, input }) => acceptInvitation(ctx.svc.db, ctx.user, input.id, ctx.by)),

  decline: userProcedure
    .input(invitationIdInput)
    .output(z.object({ declined: z.literal(true) }))
    .mutation(async ({ ctx, input }) => {
      await declineInvitation(ctx.svc.db, ctx.user, input.id, ctx.by);
      return { declined: true as const };
    }),
});
