// Runs: every agent turn, whatever its source, is a run (docs/architecture.md "Runs"). Creating, reading,
// listing and cancelling them, and their signed artifact links; run-executor.ts executes them.
import { and, desc, eq, lt, or } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import type { CreateRunInput, ListRunsQuery, Run, RunSource, RunStatus, RunSummary } from "@autoclaw/shared";
import type { Settings } from "../config";
import { type Db, literalRow } from "../db/client";
import { runArtifacts, runEvents, runs, tenants } from "../db/schema";
import { assertModelReachable } from "../model/upstream";
import { getAgentRow } from "./agents";
import { entitlementRefusal, runCap, underCap } from "./entitlements";
import { hmacSign, hmacVerify, newId } from "./crypto";
import { DomainError, notFound } from "./errors";
import { addEvent, eventIf, retryDelaySeconds, type RunDeps } from "./run-records";

type Row = typeof runs.$inferSelect;
const iso = (d: Date | null) => d?.toISOString() ?? null;

const toSummary = (r: Row): RunSummary => ({
  id: r.id,
  agentId: r.agentId,
  status: r.status,
  source: r.source,
  input: r.input,
  error: r.error,
  usage: { inputTokens: r.inputTokens, outputTokens: r.outputTokens },
  attempts: r.attempts,
  createdAt: r.createdAt.toISOString(),
  startedAt: iso(r.startedAt),
  finishedAt: iso(r.finishedAt),
  agentMs: r.agentMs,
});

// ── Creating, reading, cancelling ───────────────────────────────────────────────────────────────────

export interface CreateRunOptions {
  /** The conversation the run continues (`telegram:<userId>`); its turns share one OpenClaw session. */
  conversation?: string;
  /**
   * Statements that must commit with the run (a Telegram reply's destination). They run in its batch
   * even when the run is not inserted (a cap, a repeated idempotency key), so each must do nothing
   * unless the run row exists (insert … select from runs).
   */
  also?: (runId: string) => BatchItem<"sqlite">[];
  /** Who started it (actorOf, or `telegram:<userId>`): members may cancel only their own runs. */
  createdBy?: string;
}

export async function createRun(
  deps: RunDeps,
  tenantId: string,
  input: CreateRunInput,
  source: RunSource,
  opts: CreateRunOptions = {},
): Promise<{ id: string; status: RunStatus }> {
  const { db } = deps;
  if (input.idempotencyKey) {
    const existing = await findByIdempotencyKey(db, tenantId, input.idempotencyKey);
    if (existing) return sameRequestOrConflict(existing, input);
  }
  // The plan's standing is checked now; its monthly cap in the insert itself, so runs started at
  // once cannot pass it (the refusal's words are worked out only when it refuses).
  const cap = await runCap(deps, tenantId);
  const agent = await getAgentRow(db, tenantId, input.agentId);
  // Refuse now, with a reason the user can act on, rather than fail later in the queue.
  await assertModelReachable(db, deps.settings, tenantId, agent.model);

  const now = new Date();
  const id = newId("run");
  const row = literalRow(runs, {
    id,
    tenantId,
    agentId: agent.id,
    status: "queued",
    source,
    input: input.input,
    model: agent.model,
    idempotencyKey: input.idempotencyKey,
    conversation: opts.conversation,
    createdBy: opts.createdBy,
    createdAt: now,
    updatedAt: now,
  });
  const [inserted] = await db.batch([
    db
      .insert(runs)
      .select(
        db
          .select(row)
          .from(tenants)
          .where(and(eq(tenants.id, tenantId), underCap.runsThisMonth(tenantId, cap, now))),
      )
      .onConflictDoNothing()
      .returning({ id: runs.id }),
    eventIf(db, id, now, "queued", `from ${source}`, undefined),
    ...(opts.also?.(id) ?? []),
  ]);
  if (inserted.length === 0) {
    // Lost a race with the same idempotency key: the other request's run is the run.
    const same = input.idempotencyKey && (await findByIdempotencyKey(db, tenantId, input.idempotencyKey));
    if (same) return sameRequestOrConflict(same, input);
    throw new DomainError(
      "FORBIDDEN",
      (await entitlementRefusal(deps, tenantId, { kind: "run" })) ?? "This month's runs of the plan are used up",
    );
  }
  // The queue is the durable path; if this send is lost, the reaper re-sends runs left queued.
  // Runs are interactive, so with a dispatcher the run also goes to its AgentSession now (a queue
  // hop costs ~10 ms locally, more in production), and the queue message comes after the first
  // retry delay (at least 1 s, so it never overtakes the hand-over): to retry a run that failed,
  // or to find it already claimed and do nothing.
  const message = { runId: id, tenantId, agentId: agent.id };
  await Promise.all([
    deps.queue.send(message, deps.dispatch ? { delaySeconds: Math.max(1, retryDelaySeconds(deps.settings, 1)) } : undefined),
    deps
      .dispatch?.(message)
      .catch((e) => console.error(`run ${id}: hand-over failed, the queue will deliver it:`, e instanceof Error ? e.message : e)),
  ]);
  return { id, status: "queued" };
}

async function findByIdempotencyKey(db: Db, tenantId: string, key: string): Promise<Row | undefined> {
  const [row] = await db
    .select()
    .from(runs)
    .where(and(eq(runs.tenantId, tenantId), eq(runs.idempotencyKey, key)));
  return row;
}

function sameRequestOrConflict(existing: Row, input: CreateRunInput) {
  if (existing.agentId !== input.agentId || existing.input !== input.input) {
    throw new DomainError("CONFLICT", "That idempotency key was already used for a different run");
  }
  return { id: existing.id, status: existing.status };
}

async function getRunRow(db: Db, tenantId: string, id: string): Promise<Row> {
  const row = await db.query.runs.findFirst({ where: and(eq(runs.id, id), eq(runs.tenantId, tenantId)) });
  if (!row) throw notFound("Run");
  return row;
}

export async function getRun(deps: Pick<RunDeps, "db" | "settings">, tenantId: string, id: string): Promise<Run> {
  const row = await getRunRow(deps.db, tenantId, id);
  const [events, artifacts] = await Promise.all([
    deps.db.query.runEvents.findMany({ where: eq(runEvents.runId, id), orderBy: runEvents.id }),
    deps.db.query.runArtifacts.findMany({ where: eq(runArtifacts.runId, id), orderBy: runArtifacts.name }),
  ]);
  return {
    ...toSummary(row),
    output: row.output,
    model: row.model,
    events: events.map((e) => ({ at: e.at.toISOString(), kind: e.kind, message: e.message })),
    artifacts: await Promise.all(
      artifacts.map(async (a) => ({
        name: a.name,
        contentType: a.contentType,
        size: a.size,
        url: await signArtifactUrl(deps.settings, tenantId, id, a.name),
      })),
    ),
  };
}

const encodeCursor = (r: { createdAt: Date; id: string }) => btoa(`${r.createdAt.getTime()}:${r.id}`);
function decodeCursor(cursor: string): { createdAt: Date; id: string } {
  try {
    const [ms, id] = atob(cursor).split(":");
    if (ms && id && /^\d+$/.test(ms)) return { createdAt: new Date(Number(ms)), id };
  } catch {
    /* fall through */
  }
  throw new DomainError("BAD_REQUEST", "Invalid cursor");
}

/** Newest first, paged by (createdAt, id) so pages never skip or repeat a run. */
export async function listRuns(db: Db, tenantId: string, input: ListRunsQuery) {
  const after = input.cursor ? decodeCursor(input.cursor) : undefined;
  const rows = await db
    .select()
    .from(runs)
    .where(
      and(
        eq(runs.tenantId, tenantId),
        input.agentId ? eq(runs.agentId, input.agentId) : undefined,
        input.status ? eq(runs.status, input.status) : undefined,
        after ? or(lt(runs.createdAt, after.createdAt), and(eq(runs.createdAt, after.createdAt), lt(runs.id, after.id))) : undefined,
      ),
    )
    .orderBy(desc(runs.createdAt), desc(runs.id))
    .limit(input.limit + 1);
  const page = rows.slice(0, input.limit);
  return { items: page.map(toSummary), nextCursor: rows.length > input.limit ? encodeCursor(page.at(-1)!) : null };
}

/** Only a run that has not started can be cancelled; its queue message then finds nothing to do. */
/**
 * Cancels a queued run. `by` is who asks: anyone who may manage the team cancels any run, anyone else
 * only the runs they started.
 */
export async function cancelRun(
  deps: Pick<RunDeps, "db" | "notify">,
  tenantId: string,
  id: string,
  by: { actor: string; anyRun: boolean },
): Promise<{ id: string; status: RunStatus }> {
  const { db } = deps;
  const now = new Date();
  if (!by.anyRun) {
    const existing = await getRunRow(db, tenantId, id);
    if (existing.createdBy !== by.actor)
      throw new DomainError("FORBIDDEN", "Only the person who started a run, or a team admin, can cancel it");
  }
  const [row] = await db
    .update(runs)
    .set({ status: "canceled", finishedAt: now, updatedAt: now, leaseExpiresAt: null })
    .where(and(eq(runs.id, id), eq(runs.tenantId, tenantId), eq(runs.status, "queued")))
    .returning({ id: runs.id, source: runs.source });
  if (!row) {
    const existing = await getRunRow(db, tenantId, id);
    throw new DomainError("PRECONDITION_FAILED", `The run is already ${existing.status}; only queued runs can be cancelled`);
  }
  await addEvent(db, id, "canceled");
  await deps.notify?.finished(row);
  return { id, status: "canceled" };
}

// ── Signed artifact URLs ────────────────────────────────────────────────────────────────────────────

const ARTIFACT_URL_TTL_MS = 15 * 60_000;
const artifactMessage = (tenantId: string, runId: string, name: string, exp: number) => `${tenantId}:${runId}:${name}:${exp}`;

export async function signArtifactUrl(s: Settings, tenantId: string, runId: string, name: string, now = Date.now()): Promise<string> {
  const exp = now + ARTIFACT_URL_TTL_MS;
  const sig = await hmacSign(s.BETTER_AUTH_SECRET, "artifact", artifactMessage(tenantId, runId, name, exp));
  return `/api/artifacts/${encodeURIComponent(runId)}/${encodeURIComponent(name)}?exp=${exp}&sig=${sig}`;
}

/** The artifact a signed URL names, or undefined when the signature is wrong or expired. */
export async function openSignedArtifact(
  db: Db,
  s: Settings,
  bucket: R2Bucket,
  runId: string,
  name: string,
  exp: string | null,
  sig: string | null,
) {
  if (!exp || !sig || !/^\d+$/.test(exp) || Number(exp) < Date.now()) return undefined;
  const artifact = await db.query.runArtifacts.findFirst({ where: and(eq(runArtifacts.runId, runId), eq(runArtifacts.name, name)) });
  if (!artifact) return undefined;
  if (!(await hmacVerify(s.BETTER_AUTH_SECRET, "artifact", artifactMessage(artifact.tenantId, runId, name, Number(exp)), sig)))
    return undefined;
  const object = await bucket.get(artifact.r2Key);
  return object ? { artifact, object } : undefined;
}
