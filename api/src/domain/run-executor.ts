// Executing runs (called by an agent's AgentSession, one run of that agent at a time): the claim,
// the turn, the finish, retries, and the reaper and dead-letter rules that make every run end in a
// final state.
//
// A claim holds a lease of RUN_LEASE_SECONDS that the executor renews while it works; every write
// after the claim is fenced by the attempt it made, so an executor that lost its run (the reaper or
// another AgentSession instance took it over) cannot finish or requeue it.
import { and, desc, eq, lt, or, type Placeholder, sql } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import type { Settings } from "../config";
import { bound, type Db, prepared } from "../db/client";
import { runArtifacts, runs } from "../db/schema";
import { chatCompletion, isTransientStatus, ModelError, upstreamError } from "../model/client";
import { upstreamFrom, upstreamRead } from "../model/upstream";
import { RUNTIME_TOKEN_REFUSED, type TurnResult } from "@autoclaw/runtime-protocol";
import { RuntimeError } from "../drivers/driver";
import type { WorkspaceListing } from "@autoclaw/runtime-protocol";
import { agentInstructions } from "./agents";
import { DomainError } from "./errors";
import { runFileKey } from "./r2-keys";
import { addEvent, eventIf, MAX_ATTEMPTS, retryDelaySeconds, type RunDeps, type RunRow } from "./run-records";
import { type budgetLimitsRead, budgetOfRunRead, budgetRefusal } from "./budgets";
import { meterModelCall, meteringWrites, type ModelCall } from "./metering";
import { lastFailedModelCall } from "./usage";
import {
  ensureRuntimeReady,
  markRuntimeGone,
  readinessReads,
  runsStaleSecrets,
  type Readiness,
  type RuntimeDeps,
  type RuntimeRow,
} from "./runtime";
import { mirrorWorkspace, WorkspaceNotLiveError, type WorkspaceManifest } from "./workspace";

/** What became of one execution: finished (or nothing to do), to be retried after a pause, or held by a live executor. */
export type RunOutcome = { kind: "done" } | { kind: "skipped" } | { kind: "retry"; delayMs: number } | { kind: "busy"; untilMs: number };

/** What the AgentSession keeps in memory between its agent's turns. */
export interface SessionCache {
  /** The agent's persona (direct mode's system prompt). */
  persona?: (tenantId: string, agentId: string) => Promise<string>;
  /** The agent's workspace manifest as last written to R2, valid for the runtime start it was written in. */
  manifest?: { startedAt: number; manifest: WorkspaceManifest };
  /** The run being executed, and what stops its turn when it is cancelled. */
  current?: { runId: string; stop: AbortController };
}

const leaseMs = (s: Settings) => s.RUN_LEASE_SECONDS * 1000;
/** A turn in a tenant runtime may take one model call's limit plus the gateway's own work; then it is stopped. */
export const turnDeadlineMs = (s: Settings) => s.MODEL_TIMEOUT_MS + 30_000;

/** Fences a write to the claim this executor holds. */
const held = (run: { id: string | Placeholder; attempts: number | Placeholder }) =>
  and(eq(runs.id, run.id), eq(runs.status, "running"), eq(runs.attempts, run.attempts));

/**
 * Every run's claim and finish, prepared once per isolate (rendered once, D1's statement kept). Times
 * are ms: a placeholder inside `sql` has no column encoder.
 */
const lifecycle = prepared((db) => {
  const runId = sql.placeholder("runId");
  const now = sql.placeholder("now");
  const fence = held({ id: runId, attempts: sql.placeholder("attempts") });
  return {
    /** queued → running, or running → running when the holder's lease has lapsed (its executor is gone). */
    claim: db
      .update(runs)
      .set({
        status: "running",
        attempts: sql`${runs.attempts} + 1`,
        startedAt: sql`coalesce(${runs.startedAt}, ${now})`,
        leaseExpiresAt: sql`${sql.placeholder("lease")}`,
        updatedAt: sql`${now}`,
      })
      .where(and(eq(runs.id, runId), or(eq(runs.status, "queued"), and(eq(runs.status, "running"), lt(runs.leaseExpiresAt, now)))))
      .returning()
      .prepare(),
    // Recorded only when the claim above took it (it set updated_at to exactly `now`).
    started: eventIf(
      db,
      runId,
      now,
      "started",
      sql`case when ${runs.attempts} > 1 then 'attempt ' || ${runs.attempts} end`,
      and(eq(runs.status, "running"), eq(runs.updatedAt, now)),
    ).prepare(),
    /** The status event, written only if the update after it is the one that finishes the run. */
    ended: eventIf(db, runId, now, sql.placeholder("status"), sql.placeholder("message"), fence).prepare(),
    /** The finish: a patch field given as null keeps what the row has (output, usage, agent time). */
    finish: db
      .update(runs)
      .set({
        status: sql`${sql.placeholder("status")}`,
        output: sql`coalesce(${sql.placeholder("output")}, ${runs.output})`,
        error: sql`${sql.placeholder("error")}`,
        inputTokens: sql`coalesce(${sql.placeholder("inputTokens")}, ${runs.inputTokens})`,
        outputTokens: sql`coalesce(${sql.placeholder("outputTokens")}, ${runs.outputTokens})`,
        agentMs: sql`coalesce(${sql.placeholder("agentMs")}, ${runs.agentMs})`,
        finishedAt: sql`${now}`,
        updatedAt: sql`${now}`,
        leaseExpiresAt: null,
      })
      .where(fence)
      .prepare(),
  };
});

/**
 * queued → running, or running → running when the holder's lease has lapsed (its executor is gone):
 * a redelivered or duplicate message claims nothing. With tenant runtimes the same round trip reads
 * what the runtime's ready check needs.
 */
async function claimRun(deps: RunDeps, runId: string): Promise<{ run?: RunRow; readiness?: Readiness; budget: BudgetRows }> {
  const { db, settings: s } = deps;
  const q = lifecycle(db);
  const now = Date.now();
  const v = { runId, now, lease: now + leaseMs(s) };
  // The same round trip reads the team's budget, which a first attempt is checked against.
  const claim = [bound(q.claim, v), bound(q.started, v), budgetOfRunRead(db, runId)] as const;
  if (!deps.runtime) {
    const [claimed, , budget] = await db.batch(claim);
    return { run: claimed[0], budget };
  }
  const tenantOfRun = sql`(select ${runs.tenantId} from ${runs} where ${runs.id} = ${runId})`;
  const [claimed, , budget, ...readiness] = await db.batch([...claim, ...readinessReads(db, tenantOfRun)]);
  return { run: claimed[0], readiness, budget };
}
type BudgetRows = Awaited<ReturnType<typeof budgetLimitsRead>>;

async function finishRun(
  db: Db,
  run: RunRow,
  status: "succeeded" | "failed",
  patch: { output?: string; error?: string; inputTokens?: number; outputTokens?: number; agentMs?: number },
  opts: { also?: BatchItem<"sqlite">[]; warnings?: string[] } = {},
) {
  const q = lifecycle(db);
  const now = Date.now();
  const v = {
    runId: run.id,
    attempts: run.attempts,
    now,
    status,
    message: status === "failed" ? (patch.error ?? null) : null,
    output: patch.output ?? null,
    error: patch.error ?? null,
    inputTokens: patch.inputTokens ?? null,
    outputTokens: patch.outputTokens ?? null,
    agentMs: patch.agentMs ?? null,
  };
  // One round trip: the events are written only if this update is the one that finished the run.
  const warnings: BatchItem<"sqlite">[] = (opts.warnings ?? []).map((w) => eventIf(db, run.id, new Date(now), "warning", w, held(run)));
  await db.batch([...(warnings as []), bound(q.ended, v), ...(opts.also ?? []), bound(q.finish, v)]);
}

export async function executeRun(deps: RunDeps, runId: string, session: SessionCache = {}): Promise<RunOutcome> {
  const { db, settings: s } = deps;
  const { run, readiness, budget } = await claimRun(deps, runId);
  if (!run) {
    // Nothing claimed: finished, cancelled, or held by an executor whose lease is live (wait for it).
    const [current] = await db.select({ status: runs.status, leaseExpiresAt: runs.leaseExpiresAt }).from(runs).where(eq(runs.id, runId));
    if (current?.status === "running" && current.leaseExpiresAt) return { kind: "busy", untilMs: current.leaseExpiresAt.getTime() + 1000 };
    return { kind: "skipped" };
  }
  if (run.attempts > MAX_ATTEMPTS) {
    // Taken over from an executor that went away on its last attempt.
    await finishRun(db, run, "failed", {
      error: `Gave up after ${run.attempts - 1} attempts. Last error: ${run.error ?? "the run's executor stopped"}`,
    });
    await deps.notify?.finished(run);
    return { kind: "done" };
  }
  // A queued run does not start once the team's budget is used up (a turn already under way finishes).
  const overBudget = run.attempts === 1 ? await budgetRefusal(db, run.tenantId, new Date(), budget) : null;
  if (overBudget) {
    await finishRun(db, run, "failed", { error: overBudget });
    deps.live?.(run.id, { type: "done", status: "failed", output: null, error: overBudget });
    await deps.notify?.finished(run);
    return { kind: "done" };
  }
  // The lease is renewed while the run works, so only a run whose executor is gone ever lapses.
  const heartbeat = setInterval(
    () => {
      void db
        .update(runs)
        .set({ leaseExpiresAt: new Date(Date.now() + leaseMs(s)) })
        .where(held(run))
        .catch((e) => console.error(`run ${runId}: renewing the lease failed:`, e instanceof Error ? e.message : e));
    },
    Math.max(1000, leaseMs(s) / 3),
  );
  const stopWorking = deps.notify?.working(run);
  session.current = { runId, stop: new AbortController() };
  if (!deps.runtime) deps.live?.(runId, { type: "status", phase: "running", message: null });
  try {
    return await runClaimed(deps, run, session, readiness);
  } finally {
    clearInterval(heartbeat);
    stopWorking?.();
    session.current = undefined;
  }
}

interface TurnOutput {
  text: string;
  usage: { inputTokens: number; outputTokens: number };
  agentMs: number;
  warnings: string[];
  /** A model call the Worker made itself (direct mode), metered in the finish's batch. */
  call?: ModelCall;
}

async function runClaimed(deps: RunDeps, run: RunRow, session: SessionCache, readiness?: Readiness): Promise<RunOutcome> {
  const { db } = deps;
  /** The turn's own model call until the finish's batch has metered it (metered on its own should that batch fail). */
  let unmetered: ModelCall | undefined;
  try {
    const result = deps.runtime ? await turnInRuntime(deps, deps.runtime, run, session, readiness) : await directTurn(deps, run, session);
    unmetered = result.call;
    // The output is in the run's own row; its file copy is written alongside the final batch (a
    // download needs a signed link first, so it never races it). Should the write fail, its record goes.
    const artifact = artifactFor(deps, run, "output.md", result.text, "text/markdown; charset=utf-8");
    const [stored] = await Promise.all([
      artifact.put().then(
        () => true,
        (e) => {
          console.error(`run ${run.id}: storing output.md failed:`, e instanceof Error ? e.message : e);
          return false;
        },
      ),
      finishRun(
        db,
        run,
        "succeeded",
        { output: result.text, inputTokens: result.usage.inputTokens, outputTokens: result.usage.outputTokens, agentMs: result.agentMs },
        { also: [artifact.record, ...(result.call ? meteringWrites(db, result.call) : [])], warnings: result.warnings },
      ),
    ]);
    unmetered = undefined;
    if (!stored) await artifact.forget();
    else deps.live?.(run.id, { type: "artifact", name: "output.md", size: artifact.size });
    deps.live?.(run.id, { type: "done", status: "succeeded", output: result.text, error: null });
    await deps.notify?.finished(run);
    return { kind: "done" };
  } catch (e) {
    if (unmetered)
      await meterModelCall(db, unmetered).catch((m) =>
        console.error(`run ${run.id}: metering its model call failed:`, m instanceof Error ? m.message : m),
      );
    // Cancelled while it ran: the run is already `canceled` in D1 (the fence kept this executor from writing), and its AgentSession ended the events.
    if (session.current?.stop.signal.aborted) return { kind: "done" };
    const permanent = e instanceof DomainError || (e instanceof ModelError && e.kind === "provider");
    if (!(e instanceof DomainError || e instanceof ModelError))
      console.error(`run ${run.id} failed unexpectedly:`, e instanceof Error ? `${e.name}: ${e.message}` : e);
    const reason = e instanceof DomainError || e instanceof ModelError ? e.message : "Internal error while running the agent";
    // Attempts are counted here, not by queue deliveries: a run's first attempt may not come from the queue.
    if (!permanent && run.attempts < MAX_ATTEMPTS) {
      await requeueRun(db, run, reason);
      const delayMs = retryDelaySeconds(deps.settings, run.attempts) * 1000;
      deps.live?.(run.id, { type: "status", phase: "queued", message: `Trying again in ${Math.round(delayMs / 1000)} s: ${reason}` });
      return { kind: "retry", delayMs };
    }
    const error = permanent ? reason : `Gave up after ${run.attempts} attempts. Last error: ${reason}`;
    await finishRun(db, run, "failed", { error });
    deps.live?.(run.id, { type: "done", status: "failed", output: null, error });
    await deps.notify?.finished(run);
    return { kind: "done" };
  }
}

/** The earlier turns of a conversation a direct-mode turn hands the model. */
const DIRECT_HISTORY_TURNS = 20;

/** A conversation's turns before a run's, newest first. */
const historyQuery = prepared((db) =>
  db
    .select({ input: runs.input, output: runs.output })
    .from(runs)
    .where(
      and(
        eq(runs.conversationId, sql.placeholder("conversationId")),
        eq(runs.status, "succeeded"),
        lt(runs.createdAt, sql.placeholder("before")),
      ),
    )
    .orderBy(desc(runs.createdAt))
    .limit(DIRECT_HISTORY_TURNS)
    .prepare(),
);

/** Without tenant runtimes (TENANT_RUNTIME=direct): the Worker calls the model with the agent's persona. */
async function directTurn(deps: RunDeps, run: RunRow, session: SessionCache): Promise<TurnOutput> {
  const { db } = deps;
  // A conversation's earlier turns are its memory here (a runtime keeps its own session instead),
  // read in the same round trip as the model key.
  const [keyRows, earlier = []] = await db.batch([
    upstreamRead(db, run.tenantId, run.model),
    ...(run.conversationId ? [bound(historyQuery(db), { conversationId: run.conversationId, before: run.createdAt.getTime() })] : []),
  ]);
  const upstream = await upstreamFrom(deps.settings, run.tenantId, run.model, keyRows, { run: run.id, agent: run.agentId });
  const instructions = await (session.persona ?? ((t, a) => agentInstructions(deps.bucket, t, a)))(run.tenantId, run.agentId);
  const history = earlier.reverse().flatMap((t) => [
    { role: "user" as const, content: t.input },
    { role: "assistant" as const, content: t.output ?? "" },
  ]);
  const t0 = Date.now();
  const call = (
    status: number,
    usage: { inputTokens: number; outputTokens: number },
    estimated: boolean,
    error: string | null,
  ): ModelCall => ({
    tenantId: run.tenantId,
    agentId: run.agentId,
    runId: run.id,
    model: run.model,
    status,
    ...usage,
    estimated,
    latencyMs: Date.now() - t0,
    error,
    at: new Date(t0),
  });
  let reply: Awaited<ReturnType<typeof chatCompletion>>;
  try {
    reply = await chatCompletion(upstream, {
      messages: [
        ...(instructions ? [{ role: "system" as const, content: instructions }] : []),
        ...history,
        { role: "user", content: run.input },
      ],
      timeoutMs: deps.settings.MODEL_TIMEOUT_MS,
      signal: session.current?.stop.signal,
      onDelta: deps.live && ((text) => deps.live!(run.id, { type: "token", text })),
    });
  } catch (e) {
    if (e instanceof ModelError) await meterModelCall(db, call(e.status ?? 502, { inputTokens: 0, outputTokens: 0 }, false, e.message));
    throw e;
  }
  // Metered with the run's finish (one round trip fewer).
  return { ...reply, agentMs: Date.now() - t0, warnings: [], call: call(200, reply.usage, reply.estimated, null) };
}

/**
 * One turn in the tenant's own OpenClaw: the gateway runs the agent (its workspace, memory, skills)
 * and calls the model through the Worker's proxy. The agent's files go to R2 before the run ends.
 */
async function turnInRuntime(
  deps: Pick<RunDeps, "live">,
  rt: RuntimeDeps,
  run: RunRow,
  session: SessionCache,
  /** Read with the claim; a second try (after a restart) reads afresh. */
  readiness?: Readiness,
  secondTry = false,
): Promise<TurnOutput> {
  let live: RuntimeRow;
  try {
    live = await ensureRuntimeReady(
      rt,
      run.tenantId,
      () => {
        const message = "The team's OpenClaw runtime is starting (a few seconds with a warm gateway free, up to a minute without)";
        deps.live?.(run.id, { type: "status", phase: "starting runtime", message });
        return addEvent(rt.db, run.id, "starting runtime", message);
      },
      secondTry ? undefined : readiness,
    );
  } catch (e) {
    // A runtime that will not start is retried like a model outage, then fails with the reason.
    throw new ModelError("transient", e instanceof Error ? e.message : String(e));
  }
  let res: TurnResult;
  const turnStarted = Date.now();
  if (!secondTry) deps.live?.(run.id, { type: "status", phase: "running", message: null });
  try {
    res = await rt.driver.turn(
      run.tenantId,
      { agentId: run.agentId, sessionKey: sessionKey(run), channel: run.source, input: run.input, deadlineMs: turnDeadlineMs(rt.settings) },
      session.current?.stop.signal,
      deps.live && ((text) => deps.live!(run.id, { type: "token", text })),
    );
  } catch (e) {
    // No gateway there (stopped while idle, host or container restarted): start it, once, in this attempt.
    // One that did not answer is started only if the driver says it is gone: a crashed gateway the host
    // is already restarting, with the same secrets, needs no new start.
    if (
      !secondTry &&
      e instanceof RuntimeError &&
      (e.code === "not_running" || (e.code === "unreachable" && (await gatewayGone(rt, run.tenantId))))
    ) {
      return restartAndRetry(deps, rt, run, session, live, e.message);
    }
    // A turn past its deadline was stopped in the gateway; busy and capacity pass. All are retried later.
    throw new ModelError("transient", e instanceof Error ? e.message : String(e));
  }
  if (res.status !== 200) {
    // OpenClaw's error: `{ error: { message } }`.
    let detail = res.body.slice(0, 300);
    try {
      detail = (JSON.parse(res.body) as { error?: { message?: string } }).error?.message ?? detail;
    } catch {
      /* not JSON */
    }
    // A gateway whose model calls the proxy refuses, or that fails its turns holding other secrets
    // than D1, is locked out: heal that with one restart before blaming the model.
    if (
      !secondTry &&
      (res.body.includes(RUNTIME_TOKEN_REFUSED) || (res.status >= 500 && (await runsStaleSecrets(rt, run.tenantId, live))))
    ) {
      return restartAndRetry(deps, rt, run, session, live, "the gateway held other secrets than the platform");
    }
    // Why the model call failed is what the proxy recorded (OpenClaw is only told "refused" or "failed").
    const upstream = await lastFailedModelCall(rt.db, run.tenantId, run.agentId, new Date(turnStarted - 1000));
    if (upstream) throw upstreamError(upstream.status, upstream.error ?? "no reason given");
    // Otherwise OpenClaw's own answer: its refusal of the request stands, its trouble is tried again.
    throw new ModelError(
      isTransientStatus(res.status) ? "transient" : "provider",
      `The runtime answered ${res.status}: ${detail}`.slice(0, 500),
      res.status,
    );
  }
  const data = JSON.parse(res.body) as {
    choices?: { message?: { content?: string } }[];
    usage?: { prompt_tokens?: number; completion_tokens?: number };
  };
  const text = data.choices?.[0]?.message?.content ?? "";
  if (!text) {
    // A streamed turn whose model call failed still answers 200 (the failure is inside the stream): the proxy's record says why.
    const upstream = await lastFailedModelCall(rt.db, run.tenantId, run.agentId, new Date(turnStarted - 1000));
    if (upstream) throw upstreamError(upstream.status, upstream.error ?? "no reason given");
    // Nothing recorded: the proxy refused the gateway's token itself (a lock-out), healed as a non-streamed turn's refusal is.
    if (!secondTry && (await runsStaleSecrets(rt, run.tenantId, live)))
      return restartAndRetry(deps, rt, run, session, live, "the gateway held other secrets than the platform");
  }
  const warnings = await saveTurnFiles(deps, rt, run, session, live, res.listing);
  return {
    text,
    usage: { inputTokens: data.usage?.prompt_tokens ?? 0, outputTokens: data.usage?.completion_tokens ?? 0 },
    agentMs: res.agentMs,
    warnings,
  };
}

/**
 * Mirrors what the turn left in the agent's folder. Files the platform refuses and a mirror that
 * fails are warnings, not failures: the answer stands, the files stay on the runtime's disk and the
 * next mirror (after the next turn, or at the stop) saves them. Only a workspace that is no longer
 * the live one makes the turn run again, since what it wrote is not where the agent will look.
 */
async function saveTurnFiles(
  deps: Pick<RunDeps, "live">,
  rt: RuntimeDeps,
  run: RunRow,
  session: SessionCache,
  live: RuntimeRow,
  listing?: WorkspaceListing,
): Promise<string[]> {
  const startedAt = live.startedAt?.getTime() ?? 0;
  const known = session.manifest?.startedAt === startedAt ? session.manifest.manifest : undefined;
  try {
    const saved = await mirrorWorkspace(rt, run.tenantId, run.agentId, {
      workspaceId: live.workspaceId ?? "",
      listing,
      known,
      runId: run.id,
    });
    session.manifest = { startedAt, manifest: saved.manifest };
    for (const f of saved.saved ?? []) deps.live?.(run.id, { type: "artifact", name: f.path, size: f.size });
    return saved.warnings;
  } catch (e) {
    if (e instanceof WorkspaceNotLiveError || (e instanceof RuntimeError && e.code === "no_workspace")) {
      throw new ModelError("transient", `The runtime's workspace changed during the turn (${e.message}); running the turn again`);
    }
    session.manifest = undefined;
    return [
      `The agent's files could not be saved after this turn (${e instanceof Error ? e.message : String(e)}); they stay in its runtime and are saved after its next turn.`,
    ];
  }
}

/** The driver reports no gateway (not one restarting): a start is needed. No answer is no evidence. */
async function gatewayGone(rt: RuntimeDeps, tenantId: string) {
  const live = await rt.driver.status(tenantId).catch(() => undefined);
  return live?.state === "stopped" || live?.state === "error";
}

async function restartAndRetry(
  deps: Pick<RunDeps, "live">,
  rt: RuntimeDeps,
  run: RunRow,
  session: SessionCache,
  live: RuntimeRow,
  reason: string,
) {
  await markRuntimeGone(rt.db, run.tenantId, live.generation, `Restarted: ${reason}`);
  return turnInRuntime(deps, rt, run, session, undefined, true);
}

/** Dashboard and API runs each get their own OpenClaw session; a conversation (a chat, one Telegram user) keeps one. */
const sessionKey = (run: RunRow) =>
  run.conversation ? `agent:${run.agentId}:${run.conversation}` : `agent:${run.agentId}:${run.source}:${run.id}`;

/** A run's file's row (every run writes output.md), prepared once per isolate. */
const artifactRecordQuery = prepared((db) => {
  const p = sql.placeholder;
  return db
    .insert(runArtifacts)
    .values({
      runId: p("runId"),
      tenantId: p("tenantId"),
      name: p("name"),
      contentType: p("contentType"),
      size: p("size"),
      r2Key: p("r2Key"),
      createdAt: p("at"),
    })
    .onConflictDoUpdate({
      target: [runArtifacts.runId, runArtifacts.name],
      set: { size: sql`${p("size")}`, contentType: sql`${p("contentType")}` },
    })
    .prepare();
});

/** A run's file: its R2 write, the (unexecuted) statement that records it for the final batch, and the undo of that record. */
function artifactFor(deps: RunDeps, run: RunRow, name: string, body: string, contentType: string) {
  const r2Key = runFileKey(run.tenantId, run.id, name);
  const size = new TextEncoder().encode(body).byteLength;
  return {
    size,
    put: () => deps.bucket.put(r2Key, body, { httpMetadata: { contentType } }),
    record: bound(artifactRecordQuery(deps.db), { runId: run.id, tenantId: run.tenantId, name, contentType, size, r2Key, at: new Date() }),
    forget: () => deps.db.delete(runArtifacts).where(and(eq(runArtifacts.runId, run.id), eq(runArtifacts.name, name))),
  };
}

/** A transient failure: back to queued (keeping the reason) for its AgentSession to retry after the backoff. */
async function requeueRun(db: Db, run: RunRow, reason: string) {
  const now = new Date();
  await db.batch([
    eventIf(db, run.id, now, "retrying", reason, held(run)),
    db.update(runs).set({ status: "queued", error: reason, leaseExpiresAt: null, updatedAt: now }).where(held(run)),
  ]);
}

/**
 * A message the queue gave up delivering. Only a run whose attempts are spent is failed (with its
 * last reason); a run still queued with attempts left never ran, and is handed to its agent again.
 */
export async function handleDeadLetter(deps: Pick<RunDeps, "db" | "notify">, runId: string): Promise<"failed" | "redeliver" | "nothing"> {
  const { db } = deps;
  const now = new Date();
  const [row] = await db
    .update(runs)
    // Worded as runClaimed words a run that used up its attempts.
    .set({
      status: "failed",
      error: sql`'Gave up after ' || ${runs.attempts} || ' attempts. Last error: ' || coalesce(${runs.error}, 'unknown')`,
      finishedAt: now,
      updatedAt: now,
      leaseExpiresAt: null,
    })
    .where(and(eq(runs.id, runId), eq(runs.status, "queued"), sql`${runs.attempts} >= ${MAX_ATTEMPTS}`))
    .returning({ error: runs.error, source: runs.source });
  if (row) {
    await addEvent(db, runId, "failed", row.error);
    await deps.notify?.finished({ id: runId, source: row.source });
    return "failed";
  }
  const [current] = await db.select({ status: runs.status }).from(runs).where(eq(runs.id, runId));
  return current?.status === "queued" ? "redeliver" : "nothing";
}

// ── The reaper (cron): nothing stays running or queued forever ─────────────────────────────────────

/** A queued run this old has lost its queue message (or waits behind a very long line): send it again. */
const STALE_QUEUED_MS = 10 * 60_000;
/** A run that could not be delivered to its agent for this long fails. */
const UNDELIVERABLE_MS = 24 * 3_600_000;
const EXECUTOR_GONE = "the run's executor stopped (its lease lapsed)";

export async function reapRuns(
  deps: Pick<RunDeps, "db" | "queue" | "notify">,
  now = new Date(),
): Promise<{ failed: number; retried: number; resent: number }> {
  const { db } = deps;
  const lapsed = and(eq(runs.status, "running"), lt(runs.leaseExpiresAt, now));
  // An executor that went away (an AgentSession evicted or crashed mid-turn): its connection to the
  // runtime went with it, so the turn stopped there too. The run gets another attempt while it has any.
  const retried = await db
    .update(runs)
    .set({ status: "queued", error: EXECUTOR_GONE, leaseExpiresAt: null, updatedAt: now })
    .where(and(lapsed, lt(runs.attempts, MAX_ATTEMPTS)))
    .returning({ id: runs.id, tenantId: runs.tenantId, agentId: runs.agentId });
  for (const r of retried) await addEvent(db, r.id, "retrying", `The ${EXECUTOR_GONE.slice(4)}; running it again`);
  if (retried.length) await deps.queue.sendBatch(retried.map((r) => ({ body: { runId: r.id, tenantId: r.tenantId, agentId: r.agentId } })));

  const gaveUp = (reason: string) => sql`'Gave up after ' || ${runs.attempts} || ' attempts. Last error: ' || ${reason}`;
  const spent = await db
    .update(runs)
    .set({ status: "failed", error: gaveUp(EXECUTOR_GONE), finishedAt: now, updatedAt: now, leaseExpiresAt: null })
    .where(and(lapsed, sql`${runs.attempts} >= ${MAX_ATTEMPTS}`))
    .returning({ id: runs.id, error: runs.error, source: runs.source });
  const undeliverable = await db
    .update(runs)
    .set({ status: "failed", error: "The run could not be delivered to its agent for 24 hours", finishedAt: now, updatedAt: now })
    .where(and(eq(runs.status, "queued"), lt(runs.createdAt, new Date(now.getTime() - UNDELIVERABLE_MS))))
    .returning({ id: runs.id, error: runs.error, source: runs.source });
  const failed = [...spent, ...undeliverable];
  for (const r of failed) {
    await addEvent(db, r.id, "failed", r.error);
    await deps.notify?.finished(r);
  }

  const stale = await db
    .update(runs)
    .set({ updatedAt: now })
    .where(and(eq(runs.status, "queued"), lt(runs.updatedAt, new Date(now.getTime() - STALE_QUEUED_MS))))
    .returning({ id: runs.id, tenantId: runs.tenantId, agentId: runs.agentId });
  if (stale.length) await deps.queue.sendBatch(stale.map((r) => ({ body: { runId: r.id, tenantId: r.tenantId, agentId: r.agentId } })));
  return { failed: failed.length, retried: retried.length, resent: stale.length };
}
