import { z } from "zod";
import { apiKeySummary, createApiKeyInput, createdApiKey, revokeApiKeyInput } from "@autoclaw/shared";
import { createApiKey, listApiKeys, revokeApiKey } from "../../domain/api-keys";
import { accessProcedure, router } from "../init";

export const apiKeysRouter = router({
  create: accessProcedure("manageTeam")
    .input(createApiKeyInput)
    .output(createdApiKey)
    .mutation(({ ctx, input }) => createApiKey(ctx.svc.db, ctx.tenant.id, input, ctx.by)),

  list: accessProcedure("read")
    .output(z.array(apiKeySummary))
    .query(({ ctx }) => listApiKeys(ctx.svc.db, ctx.tenant.id)),

  /** Revokes at once; answers with the keys that remain. */
  revoke: accessProcedure("manageTeam")
    .input(revokeApiKeyInput)
    .output(z.array(apiKeySummary))
    .mutation(({ ctx, input }) => revokeApiKey(ctx.svc.db, ctx.tenant.id, input.id, ctx.by)),
});
