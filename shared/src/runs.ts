import { z } from "zod";

export const RUN_STATUSES = ["queued", "running", "succeeded", "failed", "canceled"] as const;
export const runStatus = z.enum(RUN_STATUSES);
export type RunStatus = z.infer<typeof runStatus>;
export const FINAL_STATUSES: readonly RunStatus[] = ["succeeded", "failed", "canceled"];

export const RUN_SOURCES = ["dashboard", "api", "telegram", "webchat"] as const;
export const runSource = z.enum(RUN_SOURCES);
export type RunSource = z.infer<typeof runSource>;

export const RUN_INPUT_MAX = 32_000;

/**
 * What RUN_QUEUE carries: the run's id, and where to route it (its agent's AgentSession) so the
 * consumer need not look it up. Everything else is read from D1 when the run executes.
 */
export const runMessage = z.object({
  runId: z.string().min(1),
  tenantId: z.string().min(1).optional(),
  agentId: z.string().min(1).optional(),
});
export type RunMessage = z.infer<typeof runMessage>;

export const createRunInput = z.object({
  agentId: z.string().min(1).max(64),
  input: z.string().trim().min(1, "Say something for the agent to do").max(RUN_INPUT_MAX, `At most ${RUN_INPUT_MAX} characters`),
  /** Same key → same run, executed once. Scoped to the team. */
  idempotencyKey: z.string().min(1).max(128).optional(),
});
export type CreateRunInput = z.infer<typeof createRunInput>;

export const runUsage = z.object({ inputTokens: z.number().int(), outputTokens: z.number().int() });

export const runArtifact = z.object({ name: z.string(), contentType: z.string(), size: z.number().int(), url: z.string() });
export type RunArtifact = z.infer<typeof runArtifact>;

export const runEvent = z.object({ at: z.iso.datetime(), kind: z.string(), message: z.string().nullable() });
export type RunEvent = z.infer<typeof runEvent>;

export const runSummary = z.object({
  id: z.string(),
  agentId: z.string(),
  status: runStatus,
  source: runSource,
  input: z.string(),
  error: z.string().nullable(),
  usage: runUsage,
  attempts: z.number().int(),
  createdAt: z.iso.datetime(),
  startedAt: z.iso.datetime().nullable(),
  finishedAt: z.iso.datetime().nullable(),
  /** Milliseconds spent in the agent's runtime and the model; the rest of the run's time is the platform's. */
  agentMs: z.number().int().nullable(),
});
export type RunSummary = z.infer<typeof runSummary>;

export const run = runSummary.extend({
  output: z.string().nullable(),
  model: z.string(),
  artifacts: z.array(runArtifact),
  events: z.array(runEvent),
});
export type Run = z.infer<typeof run>;

export const runIdInput = z.object({ id: z.string().min(1).max(64) });
export const createdRun = z.object({ id: z.string(), status: runStatus });

export const listRunsInput = z
  .object({
    agentId: z.string().min(1).max(64).optional(),
    status: runStatus.optional(),
    cursor: z.string().max(200).optional(),
    limit: z.number().int().min(1).max(100).default(20),
  })
  .default({ limit: 20 });
export type ListRunsInput = z.input<typeof listRunsInput>;

export const runPage = z.object({ items: z.array(runSummary), nextCursor: z.string().nullable() });
export type ListRunsQuery = z.output<typeof listRunsInput>;
