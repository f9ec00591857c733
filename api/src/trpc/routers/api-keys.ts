import { z } from "zod";
import { apiKeySummary, createApiKeyInput, createdApiKey, revokeApiKeyInput } from "@autoclaw/shared";
import { createApiKey, listApiKeys, revokeApiKey } from "../../domain/api-keys";
import { userIdOf } from "../../domain/principals";
import { router, tenantAdminProcedure, tenantProcedure } from "../init";

export const apiKeysRouter = router({
  create: tenantAdminProcedure
    .input(createApiKeyInput)
    .output(createdApiKey)
    .mutation(({ ctx, input }) => createApiKey(ctx.svc.db, ctx.tenant.id, input.name, userIdOf(ctx.principal))),

  list: tenantProcedure.output(z.array(apiKeySummary)).query(({ ctx }) => listApiKeys(ctx.svc.db, ctx.tenant.id)),

  /** Revokes at once; answers with the keys that remain. */
  revoke: tenantAdminProcedure
    .input(revokeApiKeyInput)
    .output(z.array(apiKeySummary))
    .mutation(({ ctx, input }) => revokeApiKey(ctx.svc.db, ctx.tenant.id, input.id)),
});
