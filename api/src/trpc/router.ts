import type { inferRouterInputs, inferRouterOutputs } from "@trpc/server";
import { router } from "./init";
import { agentsRouter, templatesRouter } from "./routers/agents";
import { apiKeysRouter } from "./routers/api-keys";
import { auditRouter } from "./routers/audit";
import { invitationsRouter } from "./routers/invitations";
import { providerKeysRouter } from "./routers/provider-keys";
import { runsRouter } from "./routers/runs";
import { runtimeRouter } from "./routers/runtime";
import { schedulesRouter } from "./routers/schedules";
import { triggersRouter } from "./routers/triggers";
import { skillsRouter } from "./routers/skills";
import { telegramRouter } from "./routers/telegram";
import { billingRouter } from "./routers/billing";
import { conversationsRouter } from "./routers/conversations";
import { tenantsRouter } from "./routers/tenants";
import { usageRouter } from "./routers/usage";

export const appRouter = router({
  tenants: tenantsRouter,
  invitations: invitationsRouter,
  apiKeys: apiKeysRouter,
  providerKeys: providerKeysRouter,
  templates: templatesRouter,
  agents: agentsRouter,
  runs: runsRouter,
  conversations: conversationsRouter,
  usage: usageRouter,
  runtime: runtimeRouter,
  skills: skillsRouter,
  telegram: telegramRouter,
  billing: billingRouter,
  audit: auditRouter,
  schedules: schedulesRouter,
  triggers: triggersRouter,
});

export type AppRouter = typeof appRouter;
export type RouterInputs = inferRouterInputs<AppRouter>;
export type RouterOutputs = inferRouterOutputs<AppRouter>;
