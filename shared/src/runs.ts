import { z } from "zod";
import { RUN_STATUSES } from "./run-statuses";

export const runStatus = z.enum(RUN_STATUSES);

export const RUN_SOURCES = ["dashboard", "api", "telegram", "webchat", "schedule", "trigger"] as const;
export const runSource = z.enum(RUN_SOURCES);
export type RunSource = z.infer<typeof runSource>;

export const RUN_INPUT_MAX = 32_000;
/** The longest `runs.create` holds its answer for the run to end (a proxy in front may give up on a silent request after 100 s). */
export const RUN_WAIT_MAX_MS = 60_000;

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
  /** A conversation of this agent (the caller's own) the run continues: its turns share one OpenClaw session. */
  conversationId: z.string().min(1).max(64).optional(),
  /**
   * Hold the answer until the run has ended, for at most this long, and answer it with the run (as
   * `runs.get` gives it): a short turn takes one request, no polling. The run goes on after the wait.
   */
  waitMs: z
    .number()
    .int()
    .min(0)
    .max(RUN_WAIT_MAX_MS, `Wait at most ${RUN_WAIT_MAX_MS} ms; then follow the run with runs.events or runs.get`)
    .optional(),
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
/** `runs.create`'s answer; with `waitMs`, also the run as it stood when it ended or the wait ran out. */
export const createRunResult = createdRun.extend({ run: run.optional() });
export type CreateRunResult = z.infer<typeof createRunResult>;

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

// ── Live events: what a run does as it happens (runs.events) ────────────────────────────────────────

/** The phases a watcher sees: a run's status, with the runtime's start shown on its own. */
export const LIVE_PHASES = ["queued", "starting runtime", "running", "succeeded", "failed", "canceled"] as const;
export const livePhase = z.enum(LIVE_PHASES);

const seq = z.number().int().positive();
const at = z.iso.datetime();
export const liveRunEvent = z.discriminatedUnion("type", [
  z.object({ seq, at, type: z.literal("status"), phase: livePhase, message: z.string().nullable() }),
  /** A piece of the reply's text, as the model wrote it. */
  z.object({ seq, at, type: z.literal("token"), text: z.string() }),
  /** A tool the agent called: its name and the start of its arguments. */
  z.object({ seq, at, type: z.literal("tool"), name: z.string(), summary: z.string() }),
  /** A file the run wrote (its output, or a file in the agent's folder). */
  z.object({ seq, at, type: z.literal("artifact"), name: z.string(), size: z.number().int() }),
  /** The last event: the run's final state. */
  z.object({
    seq,
    at,
    type: z.literal("done"),
    status: runStatus.extract(["succeeded", "failed", "canceled"]),
    output: z.string().nullable(),
    error: z.string().nullable(),
  }),
]);
export type LiveRunEvent = z.infer<typeof liveRunEvent>;
/** An event as its emitter hands it over; the log gives it its sequence number and time. */
export type LiveRunEventBody = LiveRunEvent extends infer E ? (E extends unknown ? Omit<E, "seq" | "at"> : never) : never;

export const runEventsInput = z.object({
  runId: z.string().min(1).max(64),
  /** Resume after this event (its `seq`, as the subscription's tracked id): nothing lost, nothing doubled. */
  lastEventId: z
    .string()
    .regex(/^\d{1,9}$/, "An event id is a sequence number")
    .nullish(),
});
