// Runs: every agent turn, whatever its source, goes through these rules (DESIGN.md "Runs").
import { and, desc, eq, inArray, lt, or, sql, type SQL } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import type { CreateRunInput, ListRunsQuery, Run, RunSource, RunStatus, RunSummary } from "@autoclaw/shared";
import type { Settings } from "../config";
import type { Db } from "../db/client";
import { runArtifacts, runEvents, runs } from "../db/schema";
import { chatCompletion, ModelError } from "../model/client";
import { assertModelReachable, resolveUpstream } from "../model/upstream";
import { agentInstructions, getAgentRow } from "./agents";
import { assertCanRun } from "./billing";
import { fromBase64, LIST_AFTER_HEADER, LISTING_HEADER, LISTING_MS_HEADER, RuntimeError, type WorkspaceFile } from "../runtime/runtime";
import { ensureRuntimeReady, markRuntimeGone, persistWorkspace, readinessReads, type Readiness, type RuntimeDeps, type WorkspaceManifest } from "./runtime";
import { hmacSign, hmacVerify, newId } from "./crypto";
import { DomainError, notFound } from "./errors";

export interface RunDeps {
  db: Db;
  settings: Settings;
  queue: Queue<RunMessage>;
  bucket: R2Bucket;
  /** The tenant runtimes (absent when TENANT_RUNTIME=direct). */
  runtime?: () => RuntimeDeps;
  /** Told when a run starts working and when it ends (Telegram: typing indicator, the reply). */
  notify?: RunNotifier;
  /** Hands a new run to its AgentSession at once, without waiting for the queue (see createRun). */
  dispatch?: (message: Required<RunMessage>) => Promise<void>;
}

export interface RunNotifier {
  /** A run started executing; returns what to call when it stops. */
  working(run: { id: string; source: RunSource }): () => void;
  /** A run reached a final state (never throws into the caller). */
  finished(run: { id: string; source: RunSource }): Promise<void>;
}

/**
 * What RUN_QUEUE carries: the run's id, and where to route it (its agent's AgentSession) so the
 * consumer need not look it up. Everything else is read from D1 when the run executes.
 */
export interface RunMessage {
  runId: string;
  tenantId?: string;
  agentId?: string;
}

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

async function addEvent(db: Db, runId: string, kind: string, message: string | null = null) {
  await db.insert(runEvents).values({ runId, kind, message, at: new Date() });
}

/**
 * An event row written only if the run is, at that moment, in the state `where` describes: lets a
 * status change and its event go to D1 in one batch (one round trip, one transaction).
 */
function eventIf(db: Db, runId: string, at: Date, kind: string, message: SQL | string | null, where: SQL | undefined) {
  return db.insert(runEvents).select(
    db
      .select({ id: sql<number>`null`.as("id"), runId: runs.id, at: sql<number>`${at.getTime()}`.as("at"), kind: sql<string>`${kind}`.as("kind"), message: sql<string | null>`${message}`.as("message") })
      .from(runs)
      .where(and(eq(runs.id, runId), where)),
  );
}

// ── Creating, reading, cancelling ───────────────────────────────────────────────────────────────────

export interface CreateRunOptions {
  /** The conversation the run continues (`telegram:<userId>`); its turns share one OpenClaw session. */
  conversation?: string;
  /** Statements that must commit with the run (a Telegram reply's destination). */
  also?: (runId: string) => BatchItem<"sqlite">[];
}

export async function createRun(deps: RunDeps, tenantId: string, input: CreateRunInput, source: RunSource, opts: CreateRunOptions = {}): Promise<{ id: string; status: RunStatus }> {
  const { db } = deps;
  if (input.idempotencyKey) {
    const existing = await findByIdempotencyKey(db, tenantId, input.idempotencyKey);
    if (existing) return sameRequestOrConflict(existing, input);
  }
  await assertCanRun(deps, tenantId);
  const agent = await getAgentRow(db, tenantId, input.agentId);
  // Refuse now, with a reason the user can act on, rather than fail later in the queue.
  await assertModelReachable(db, deps.settings, tenantId, agent.model);

  const now = new Date();
  const id = newId("run");
  const [inserted] = await db.batch([
    db
      .insert(runs)
      .values({ id, tenantId, agentId: agent.id, status: "queued", source, input: input.input, model: agent.model, idempotencyKey: input.idempotencyKey, conversation: opts.conversation, createdAt: now, updatedAt: now })
      .onConflictDoNothing()
      .returning({ id: runs.id }),
    eventIf(db, id, now, "queued", `from ${source}`, undefined),
    ...(opts.also?.(id) ?? []),
  ]);
  if (inserted.length === 0) {
    // Lost a race with the same idempotency key: the other request's run is the run.
    return sameRequestOrConflict((await findByIdempotencyKey(db, tenantId, input.idempotencyKey!))!, input);
  }
  // The queue is the durable path; if this send is lost, the reaper re-sends runs left queued.
  // Runs are interactive, so with a dispatcher the run also goes to its AgentSession now (a queue
  // hop costs ~10 ms locally, more in production), and the queue message comes after the first
  // retry delay (at least 1 s, so it never overtakes the hand-over): to retry a run that failed,
  // or to find it already claimed and do nothing.
  const message = { runId: id, tenantId, agentId: agent.id };
  await Promise.all([
    deps.queue.send(message, deps.dispatch ? { delaySeconds: Math.max(1, retryDelaySeconds(deps.settings, 1)) } : undefined),
    deps.dispatch?.(message).catch((e) => console.error(`run ${id}: hand-over failed, the queue will deliver it:`, e instanceof Error ? e.message : e)),
  ]);
  return { id, status: "queued" };
}

async function findByIdempotencyKey(db: Db, tenantId: string, key: string): Promise<Row | undefined> {
  const [row] = await db.select().from(runs).where(and(eq(runs.tenantId, tenantId), eq(runs.idempotencyKey, key)));
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
      artifacts.map(async (a) => ({ name: a.name, contentType: a.contentType, size: a.size, url: await signArtifactUrl(deps.settings, tenantId, id, a.name) })),
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
export async function cancelRun(deps: Pick<RunDeps, "db" | "notify">, tenantId: string, id: string): Promise<{ id: string; status: RunStatus }> {
  const { db } = deps;
  const now = new Date();
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
export async function openSignedArtifact(db: Db, s: Settings, bucket: R2Bucket, runId: string, name: string, exp: string | null, sig: string | null) {
  if (!exp || !sig || !/^\d+$/.test(exp) || Number(exp) < Date.now()) return undefined;
  const artifact = await db.query.runArtifacts.findFirst({ where: and(eq(runArtifacts.runId, runId), eq(runArtifacts.name, name)) });
  if (!artifact) return undefined;
  if (!(await hmacVerify(s.BETTER_AUTH_SECRET, "artifact", artifactMessage(artifact.tenantId, runId, name, Number(exp)), sig))) return undefined;
  const object = await bucket.get(artifact.r2Key);
  return object ? { artifact, object } : undefined;
}

// ── Executing (called by the AgentSession Durable Object, one run of an agent at a time) ────────────

export type RunOutcome = "done" | "retry" | "skipped";

/** Attempts before a transient failure fails the run: 1 + RUN_QUEUE's max_retries (wrangler.toml); the dead-letter queue stays as the backstop. */
const MAX_ATTEMPTS = 6;

/**
 * queued → running, only if still queued: a redelivered or duplicate message claims nothing. With
 * tenant runtimes the same round trip reads what the runtime's ready check needs.
 */
async function claimRun(db: Db, runId: string, leaseMs: number, withRuntime: boolean): Promise<{ run?: Row; readiness?: Readiness }> {
  const now = new Date();
  const claim = [
    db
      .update(runs)
      .set({ status: "running", attempts: sql`${runs.attempts} + 1`, startedAt: sql`coalesce(${runs.startedAt}, ${now.getTime()})`, leaseExpiresAt: new Date(now.getTime() + leaseMs), updatedAt: now })
      .where(and(eq(runs.id, runId), eq(runs.status, "queued")))
      .returning(),
    // Recorded only when the update above claimed it (it set updated_at to exactly `now`).
    eventIf(db, runId, now, "started", sql`case when ${runs.attempts} > 1 then 'attempt ' || ${runs.attempts} end`, and(eq(runs.status, "running"), eq(runs.updatedAt, now))),
  ] as const;
  if (!withRuntime) return { run: (await db.batch(claim))[0][0] };
  const [claimed, , ...readiness] = await db.batch([...claim, ...readinessReads(db, sql`(select ${runs.tenantId} from ${runs} where ${runs.id} = ${runId})`)]);
  return { run: claimed[0], readiness };
}

async function finishRun(
  db: Db,
  runId: string,
  status: "succeeded" | "failed",
  patch: { output?: string; error?: string; inputTokens?: number; outputTokens?: number; agentMs?: number },
  also: BatchItem<"sqlite">[] = [],
) {
  const now = new Date();
  const message = status === "failed" ? (patch.error ?? null) : null;
  // One round trip: the event is written only if this update is the one that finished the run.
  await db.batch([
    eventIf(db, runId, now, status, message, eq(runs.status, "running")),
    ...also,
    db
      .update(runs)
      .set({ status, ...patch, error: patch.error ?? null, finishedAt: now, updatedAt: now, leaseExpiresAt: null })
      .where(and(eq(runs.id, runId), eq(runs.status, "running"))),
  ]);
}

/** What the AgentSession keeps in memory between its agent's turns. */
export interface SessionCache {
  /** The agent's persona (direct mode's system prompt). */
  persona?: (tenantId: string, agentId: string) => Promise<string>;
  /** The agent's workspace manifest as last written to R2 (the session is its only writer). */
  manifest?: WorkspaceManifest;
}

export async function executeRun(deps: RunDeps, runId: string, session: SessionCache = {}): Promise<RunOutcome> {
  const { db, settings: s } = deps;
  const { run, readiness } = await claimRun(db, runId, s.MODEL_TIMEOUT_MS + 60_000, !!deps.runtime);
  if (!run) return "skipped";
  const stopWorking = deps.notify?.working(run);
  try {
    return await runClaimed(deps, run, session, readiness);
  } finally {
    stopWorking?.();
  }
}

async function runClaimed(deps: RunDeps, run: Row, session: SessionCache, readiness?: Readiness): Promise<RunOutcome> {
  const { db, settings: s, bucket } = deps;
  const runId = run.id;
  const persona = session.persona;
  try {
    const result = deps.runtime
      ? await turnInRuntime(deps.runtime(), run, session, readiness)
      : await (async () => {
          const upstream = await resolveUpstream(db, s, run.tenantId, run.model, { run: run.id, agent: run.agentId });
          const instructions = await (persona ?? ((t, a) => agentInstructions(bucket, t, a)))(run.tenantId, run.agentId);
          const t0 = Date.now();
          const reply = await chatCompletion(upstream, {
            messages: [...(instructions ? [{ role: "system" as const, content: instructions }] : []), { role: "user", content: run.input }],
            timeoutMs: s.MODEL_TIMEOUT_MS,
          });
          return { ...reply, agentMs: Date.now() - t0 };
        })();
    // The agent's files are in R2 before the run counts as done (cheap when nothing changed).
    if ("persisted" in result) await result.persisted;
    // The output is in the run's own row; its file copy is written alongside the final batch (a
    // download needs a signed link first, so it never races it). Should the write fail, its record goes.
    const artifact = artifactFor(deps, run, "output.md", result.text, "text/markdown; charset=utf-8");
    const [stored] = await Promise.all([
      artifact.put().then(
        () => true,
        (e) => (console.error(`run ${runId}: storing output.md failed:`, e instanceof Error ? e.message : e), false),
      ),
      finishRun(db, runId, "succeeded", { output: result.text, inputTokens: result.usage.inputTokens, outputTokens: result.usage.outputTokens, agentMs: result.agentMs }, [artifact.record]),
    ]);
    if (!stored) await artifact.forget();
    await deps.notify?.finished(run);
    return "done";
  } catch (e) {
    const permanent = e instanceof DomainError || (e instanceof ModelError && e.kind === "provider");
    if (!(e instanceof DomainError || e instanceof ModelError)) console.error(`run ${runId} failed unexpectedly:`, e instanceof Error ? `${e.name}: ${e.message}` : e);
    const reason = e instanceof DomainError || e instanceof ModelError ? e.message : "Internal error while running the agent";
    // Attempts are counted here, not by queue deliveries: a run's first attempt may not come from the queue.
    if (!permanent && run.attempts < MAX_ATTEMPTS) {
      await requeueRun(db, runId, reason);
      return "retry";
    }
    await finishRun(db, runId, "failed", { error: permanent ? reason : `Gave up after ${run.attempts} attempts. Last error: ${reason}` });
    await deps.notify?.finished(run);
    return "done";
  }
}

/**
 * One turn in the tenant's own OpenClaw: the gateway runs the agent (its workspace, memory, skills)
 * and calls the model through the Worker's proxy. Files the agent wrote go back to R2 right after.
 */
async function turnInRuntime(
  rt: RuntimeDeps,
  run: Row,
  session: SessionCache,
  /** Read with the claim; a second try (after a restart) reads afresh. */
  readiness?: Readiness,
  secondTry = false,
): Promise<{ text: string; usage: { inputTokens: number; outputTokens: number }; agentMs: number; persisted: Promise<unknown> }> {
  try {
    await ensureRuntimeReady(rt, run.tenantId, () => addEvent(rt.db, run.id, "starting runtime", "The team's OpenClaw runtime is starting (a few seconds with a warm gateway free, up to a minute without)"), secondTry ? undefined : readiness);
  } catch (e) {
    // A runtime that will not start is retried like a model outage, then fails with the reason.
    throw new ModelError("transient", e instanceof Error ? e.message : String(e));
  }
  let res: Response;
  const t0 = Date.now();
  try {
    res = await rt.driver.gatewayFetch(run.tenantId, "/v1/chat/completions", {
      method: "POST",
      headers: { "content-type": "application/json", "x-openclaw-session-key": sessionKey(run), "x-openclaw-message-channel": run.source, [LIST_AFTER_HEADER]: run.agentId },
      body: JSON.stringify({ model: `openclaw/${run.agentId}`, messages: [{ role: "user", content: run.input }] }),
      signal: AbortSignal.timeout(rt.settings.MODEL_TIMEOUT_MS + 30_000),
    });
  } catch (e) {
    if (!secondTry && e instanceof RuntimeError) return restartAndRetry(rt, run, session, e.message);
    throw new ModelError("transient", `The runtime did not answer: ${e instanceof Error ? e.message : String(e)}`);
  }
  // 409: the host has no running gateway for this tenant (stopped while idle, or the host restarted).
  if (res.status === 409 && !secondTry) return restartAndRetry(rt, run, session, "the gateway was not running");
  const text = await res.text();
  // The host's listing of the workspace (see LIST_AFTER_HEADER) is AutoClaw's time, not the agent's.
  const agentMs = Date.now() - t0 - (rt.driver.kind === "host" ? Number(res.headers.get(LISTING_MS_HEADER)) || 0 : 0);
  if (!res.ok) {
    // OpenClaw passes the provider's refusal on as `{ error: { message: "<status> <text>" } }`.
    let detail = text.slice(0, 300);
    try {
      detail = (JSON.parse(text) as { error?: { message?: string } }).error?.message ?? detail;
    } catch {
      /* not JSON */
    }
    const provider = detail.match(/^(\d{3}) (.*)$/s);
    const message = provider ? `Model provider answered ${provider[1]}: ${provider[2]}` : `The runtime answered ${res.status}: ${detail}`;
    throw new ModelError(res.status >= 500 || res.status === 409 || res.status === 429 ? "transient" : "provider", message.slice(0, 500), res.status);
  }
  const data = JSON.parse(text) as { choices?: { message?: { content?: string } }[]; usage?: { prompt_tokens?: number; completion_tokens?: number } };
  const persisted = persistWorkspace(rt, run.tenantId, run.agentId, session.manifest, listingOf(rt, res, run.agentId)).then((m) => (session.manifest = m));
  return { text: data.choices?.[0]?.message?.content ?? "", usage: { inputTokens: data.usage?.prompt_tokens ?? 0, outputTokens: data.usage?.completion_tokens ?? 0 }, agentMs, persisted };
}

/**
 * The agent's files as the runtime host listed them with the answer (LIST_AFTER_HEADER). Only the
 * host adds it: from any other driver the header would be the gateway's own, so it is ignored.
 */
function listingOf(rt: RuntimeDeps, res: Response, agentId: string): WorkspaceFile[] | undefined {
  const encoded = rt.driver.kind === "host" ? res.headers.get(LISTING_HEADER) : null;
  if (!encoded) return undefined;
  try {
    const files = JSON.parse(new TextDecoder().decode(fromBase64(encoded))) as WorkspaceFile[];
    const ok = files.every((f) => typeof f.path === "string" && f.path.startsWith(`${agentId}/`) && !f.path.split("/").includes("..") && typeof f.sha256 === "string");
    return ok ? files : undefined;
  } catch {
    return undefined; // then the files are listed the usual way
  }
}

async function restartAndRetry(rt: RuntimeDeps, run: Row, session: SessionCache, reason: string) {
  await markRuntimeGone(rt.db, run.tenantId, `Restarted: ${reason}`);
  return turnInRuntime(rt, run, session, undefined, true);
}

/** Dashboard and API runs each get their own OpenClaw session; a conversation (one Telegram user) keeps one. */
const sessionKey = (run: Row) => (run.conversation ? `agent:${run.agentId}:${run.conversation}` : `agent:${run.agentId}:${run.source}:${run.id}`);

/** A run's file: its R2 write, the (unexecuted) statement that records it for the final batch, and the undo of that record. */
function artifactFor(deps: RunDeps, run: Row, name: string, body: string, contentType: string) {
  const r2Key = `tenant/${run.tenantId}/runs/${run.id}/${name}`;
  const size = new TextEncoder().encode(body).byteLength;
  return {
    put: () => deps.bucket.put(r2Key, body, { httpMetadata: { contentType } }),
    record: deps.db
      .insert(runArtifacts)
      .values({ runId: run.id, tenantId: run.tenantId, name, contentType, size, r2Key })
      .onConflictDoUpdate({ target: [runArtifacts.runId, runArtifacts.name], set: { size, contentType } }) as BatchItem<"sqlite">,
    forget: () => deps.db.delete(runArtifacts).where(and(eq(runArtifacts.runId, run.id), eq(runArtifacts.name, name))),
  };
}

/** A transient failure: back to queued (keeping the reason) for the queue to redeliver after backoff. */
async function requeueRun(db: Db, runId: string, reason: string) {
  const [row] = await db
    .update(runs)
    .set({ status: "queued", error: reason, leaseExpiresAt: null, updatedAt: new Date() })
    .where(and(eq(runs.id, runId), eq(runs.status, "running")))
    .returning({ id: runs.id });
  if (row) await addEvent(db, runId, "retrying", reason);
}

export function retryDelaySeconds(s: Settings, attempts: number): number {
  return Math.min(300, s.RUN_RETRY_DELAY_SECONDS * 2 ** Math.max(0, attempts - 1));
}

/** The queue gave up on a run (its retries are spent): fail it with the last reason it had. */
export async function failDeadLetteredRun(deps: Pick<RunDeps, "db" | "notify">, runId: string) {
  const { db } = deps;
  const now = new Date();
  const [row] = await db
    .update(runs)
    // Worded as runClaimed words a run that used up its attempts.
    .set({ status: "failed", error: sql`'Gave up after ' || ${runs.attempts} || ' attempts. Last error: ' || coalesce(${runs.error}, 'unknown')`, finishedAt: now, updatedAt: now, leaseExpiresAt: null })
    .where(and(eq(runs.id, runId), inArray(runs.status, ["queued", "running"])))
    .returning({ error: runs.error, source: runs.source });
  if (!row) return;
  await addEvent(db, runId, "failed", row.error);
  await deps.notify?.finished({ id: runId, source: row.source });
}

// ── The reaper (cron): nothing stays running or queued forever ─────────────────────────────────────

/** A queued run this old has lost its queue message (or waits behind a very long line): send it again. */
const STALE_QUEUED_MS = 10 * 60_000;

export async function reapRuns(deps: Pick<RunDeps, "db" | "queue" | "notify">, now = new Date()): Promise<{ failed: number; resent: number }> {
  const { db } = deps;
  const expired = await db
    .update(runs)
    .set({ status: "failed", error: "The run stopped responding (its executor's lease expired)", finishedAt: now, updatedAt: now, leaseExpiresAt: null })
    .where(and(eq(runs.status, "running"), lt(runs.leaseExpiresAt, now)))
    .returning({ id: runs.id, error: runs.error, source: runs.source });
  for (const r of expired) {
    await addEvent(db, r.id, "failed", r.error);
    await deps.notify?.finished(r);
  }

  const stale = await db
    .update(runs)
    .set({ updatedAt: now })
    .where(and(eq(runs.status, "queued"), lt(runs.updatedAt, new Date(now.getTime() - STALE_QUEUED_MS))))
    .returning({ id: runs.id });
  if (stale.length) await deps.queue.sendBatch(stale.map((r) => ({ body: { runId: r.id } })));
  return { failed: expired.length, resent: stale.length };
}
