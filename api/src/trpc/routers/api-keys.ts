import { z } from "zod";
import { apiKeySummary, createApiKeyInput, createdApiKey, revokeApiKeyInput } from "@autoclaw/shared";
import { createApiKey, listApiKeys, revokeApiKey } from "../../domain/api-keys";
import { router, tenantAdminProcedure, tenantProcedure } from "../init";

export const apiKeysRouter = router({
  create: tenantAdminProcedure
    .input(createApiKeyInput)
    .output(createdApiKey)
    .mutation(({ ctx, input }) =>
      createApiKey(ctx.db, ctx.tenant.id, input.name, ctx.principal.kind === "user" ? ctx.principal.userId : null),
    ),

  list: tenantProcedure.output(z.array(apiKeySummary)).query(({ ctx }) => listApiKeys(ctx.db, ctx.tenant.id)),

  /** Revokes at once; answers with the keys that remain. */
  revoke: tenantAdminProcedure
    .input(revokeApiKeyInput)
    .output(z.array(apiKeySummary))
    .mutation(async ({ ctx, input }) => {
      await revokeApiKey(ctx.db, ctx.tenant.id, input.id);
      return listApiKeys(ctx.db, ctx.tenant.id);
    }),
});
