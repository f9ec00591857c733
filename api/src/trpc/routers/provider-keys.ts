import { z } from "zod";
import { providerKeySummary, removeProviderKeyInput, setProviderKeyInput } from "@autoclaw/shared";
import { listProviderKeys, removeProviderKey, setProviderKey } from "../../domain/provider-keys";
import { accessProcedure, router } from "../init";

export const providerKeysRouter = router({
  /** Adds or replaces the team's key for a provider. The key is never returned, only its last 4. */
  set: accessProcedure("manageTeam")
    .input(setProviderKeyInput)
    .output(providerKeySummary)
    .mutation(({ ctx, input }) => setProviderKey(ctx.svc.db, ctx.svc.settings, ctx.tenant.id, input, ctx.by)),

  list: accessProcedure("read")
    .output(z.array(providerKeySummary))
    .query(({ ctx }) => listProviderKeys(ctx.svc.db, ctx.tenant.id)),

  remove: accessProcedure("manageTeam")
    .input(removeProviderKeyInput)
    .output(z.array(providerKeySummary))
    .mutation(({ ctx, input }) => removeProviderKey(ctx.svc.db, ctx.tenant.id, input.provider, ctx.by)),
});
