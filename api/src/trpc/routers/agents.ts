import { z } from "zod";
import {
  agent,
  agentIdInput,
  createAgentInput,
  fileVersion,
  fileVersionsInput,
  templateSummary,
  TEMPLATES,
  toTemplateSummary,
  updateAgentInput,
  workspaceFile,
} from "@autoclaw/shared";
import { createAgent, getAgent, listAgents, removeAgent, updateAgent } from "../../domain/agents";
import { listAgentFiles, listFileVersions } from "../../domain/workspace";
import { accessProcedure, publicProcedure, router } from "../init";

export const templatesRouter = router({
  list: publicProcedure.output(z.array(templateSummary)).query(() => TEMPLATES.map(toTemplateSummary)),
});

export const agentsRouter = router({
  create: accessProcedure("manageAgents")
    .input(createAgentInput)
    .output(agent)
    .mutation(({ ctx, input }) => createAgent(ctx.svc, ctx.tenant.id, input, ctx.by)),
  list: accessProcedure("read")
    .output(z.array(agent))
    .query(({ ctx }) => listAgents(ctx.svc.db, ctx.tenant.id)),
  get: accessProcedure("read")
    .input(agentIdInput)
    .output(agent)
    .query(({ ctx, input }) => getAgent(ctx.svc.db, ctx.tenant.id, input.id)),
  update: accessProcedure("manageAgents")
    .input(updateAgentInput)
    .output(agent)
    .mutation(({ ctx, input }) => updateAgent(ctx.svc.db, ctx.tenant.id, input)),
  remove: accessProcedure("manageAgents")
    .input(agentIdInput)
    .output(z.object({ id: z.string() }))
    .mutation(async ({ ctx, input }) => {
      await removeAgent(ctx.svc.db, ctx.svc.bucket, ctx.tenant.id, input.id, ctx.by);
      return { id: input.id };
    }),
  /** The agent's workspace as R2 keeps it (updated after every turn). */
  files: accessProcedure("read")
    .input(agentIdInput)
    .output(z.array(workspaceFile))
    .query(({ ctx, input }) => listAgentFiles(ctx.svc, ctx.tenant.id, input.id)),
  /** Previous contents of files the agent overwrote or deleted, kept for 30 days. */
  fileVersions: accessProcedure("read")
    .input(fileVersionsInput)
    .output(z.array(fileVersion))
    .query(({ ctx, input }) => listFileVersions(ctx.svc.db, ctx.tenant.id, input.agentId, input.path)),
});
