import type { inferRouterInputs, inferRouterOutputs } from "@trpc/server";
import { router } from "./init";
import { apiKeysRouter } from "./routers/api-keys";
import { tenantsRouter } from "./routers/tenants";

export const appRouter = router({
  tenants: tenantsRouter,
  apiKeys: apiKeysRouter,
});

export type AppRouter = typeof appRouter;
export type RouterInputs = inferRouterInputs<AppRouter>;
export type RouterOutputs = inferRouterOutputs<AppRouter>;
