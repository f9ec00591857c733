// Runs: every agent turn, whatever its source, is a run (docs/architecture.md "Runs"). Creating, reading,
// listing and cancelling them, and their signed artifact links; run-executor.ts executes them.
import { and, desc, eq, inArray, lt, or, sql } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import type { RunnableQuery } from "drizzle-orm/runnable-query";
import type {
  CreateRunInput,
  ListRunsQuery,
  LiveRunEvent,
  LiveRunEventBody,
  Run,
  RunMessage,
  RunSource,
  RunStatus,
  RunSummary,
} from "@autoclaw/shared";
import { readLines } from "@autoclaw/runtime-protocol";
import type { Settings } from "../config";
import { bound, type Db, literalRow, prepared } from "../db/client";
import { conversations, runArtifacts, runEvents, runs, tenants } from "../db/schema";
import { assertModelReachable } from "../model/upstream";
import { agentFrom, agentRowRead } from "./agents";
import { entitlementRefusal, runCap, underCap } from "./entitlements";
import { hmacSign, hmacVerify, newId } from "./crypto";
import { budgetLimitsFrom, budgetLimitsRead, budgetRefusal, underBudget, underTokenBudget } from "./budgets";
import { monthStart, utcDay } from "./metering";
import { storedProvidersRead } from "./provider-keys";
import { DomainError, notFound } from "./errors";
import { runVisible, visibleRunRead, visibleRunRow } from "./conversation-access";
import type { Actor } from "./principals";
import { addEvent, eventIf, type RunDeps } from "./run-records";

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
  /** The conversation the run is a turn of (its scope names the OpenClaw session its turns share). */
  conversation?: { id: string; scope: string };
  /** Or the statement that makes (or finds) it, made in the same round trip as the run's reads. */
  opensConversation?: RunnableQuery<{ id: string; scope: string }[], "sqlite">;
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
  // What the run needs read, in one round trip: a run already made with its idempotency key, the
  // team's budget, the agent and which model keys the team has.
  const [[agentRows, budgetRows, keyRows, existingRows, opened], cap] = await Promise.all([
    db.batch([
      agentRowRead(db, tenantId, input.agentId),
      budgetLimitsRead(db, tenantId),
      storedProvidersRead(db, tenantId),
      idempotencyRead(db, tenantId, input.idempotencyKey ?? null),
      ...(opts.opensConversation ? [opts.opensConversation] : []),
    ]),
    // The plan's standing is checked now; its monthly cap in the insert itself, so runs started at
    // once cannot pass it (the refusal's words are worked out only when it refuses). A repeated
    // request is answered with its run whatever the standing is now.
    runCap(deps, tenantId).catch((e: unknown) => e as Error),
  ]);
  if (existingRows?.[0]) return sameRequestOrConflict(existingRows[0], input);
  if (cap instanceof Error) throw cap;
  const agent = agentFrom(agentRows);
  const conversation = opts.conversation ?? opened?.[0];
  // So is the team's budget: the insert refuses a run once one is used up.
  const budget = await budgetLimitsFrom(db, tenantId, budgetRows);
  // Refuse now, with a reason the user can act on, rather than fail later in the queue.
  assertModelReachable(deps.settings, agent.model, keyRows);

  const now = new Date();
  const id = newId("run");
  const row: RunRowValues = {
    id,
    tenantId,
    agentId: agent.id,
    status: "queued",
    source,
    input: input.input,
    model: agent.model,
    idempotencyKey: input.idempotencyKey ?? null,
    conversation: conversation?.scope ?? null,
    conversationId: conversation?.id ?? null,
    createdBy: opts.createdBy ?? null,
    createdAt: now.getTime(),
    updatedAt: now.getTime(),
  };
  const [inserted] = await db.batch([
    budget?.monthlyCostUsd != null
      ? // A cost budget's prices are in its SQL: built for this request.
        db
          .insert(runs)
          .select(
            db
              .select(runRowSql((c) => row[c]))
              .from(tenants)
              .where(
                and(
                  eq(tenants.id, tenantId),
                  underCap.runsThisMonth(tenantId, cap, monthStart(now).getTime()),
                  underBudget(tenantId, budget, now),
                ),
              ),
          )
          .onConflictDoNothing()
          .returning({ id: runs.id })
      : bound(runInsert(db, cap !== null, budget?.monthlyTokens != null), {
          ...row,
          cap,
          since: monthStart(now).getTime(),
          monthlyTokens: budget?.monthlyTokens ?? null,
          firstDay: utcDay(monthStart(now)),
        }),
    bound(createQueries(db).queued, { runId: id, now: now.getTime(), message: `from ${source}` }),
    ...(conversation
      ? [
          bound(createQueries(db).countTurn, {
            conversationId: conversation.id,
            runId: id,
            title: firstLine(input.input),
            now: now.getTime(),
          }),
        ]
      : []),
    ...(opts.also?.(id) ?? []),
  ]);
  if (inserted.length === 0) {
    // Lost a race with the same idempotency key: the other request's run is the run.
    const same = input.idempotencyKey && (await findByIdempotencyKey(db, tenantId, input.idempotencyKey));
    if (same) return sameRequestOrConflict(same, input);
    throw new DomainError(
      "FORBIDDEN",
      (await budgetRefusal(db, tenantId, now)) ??
        (await entitlementRefusal(deps, tenantId, { kind: "run" })) ??
        "This month's runs of the plan are used up",
    );
  }
  // A run handed to its AgentSession is in that object's durable inbox once the call returns: the
  // object retries and finishes it, and the reaper takes over should its executor go. Only when the
  // hand-over fails (or there is no dispatcher) does the queue deliver it; a lost send is re-sent by
  // the reaper, which re-sends runs left queued. (Sending a backstop message for every run cost each
  // run a second claim attempt in the consumer: ~2 D1 round trips and a DO call, for nothing.) With
  // `waitMs` the same call holds until the run's events end, so waiting costs no request of its own.
  const message = { runId: id, tenantId, agentId: agent.id };
  const handedOver = await (deps.dispatch?.(message, input.waitMs).then(
    () => true,
    (e) => {
      console.error(`run ${id}: hand-over failed, the queue will deliver it:`, e instanceof Error ? e.message : e);
      return false;
    },
  ) ?? false);
  if (!handedOver) await deps.queue.send(message);
  return { id, status: "queued" };
}

const TITLE_FROM_INPUT = 60;
const firstLine = (input: string) => {
  const line = input.trim().split("\n")[0]!.trim();
  return line.length > TITLE_FROM_INPUT ? `${line.slice(0, TITLE_FROM_INPUT - 1)}…` : line;
};

/** A new run's row as its insert binds it (times in ms). */
const RUN_ROW_COLUMNS = [
  "id",
  "tenantId",
  "agentId",
  "status",
  "source",
  "input",
  "model",
  "idempotencyKey",
  "conversation",
  "conversationId",
  "createdBy",
  "createdAt",
  "updatedAt",
] as const;
type RunRowValues = Record<(typeof RUN_ROW_COLUMNS)[number], string | number | null>;
/** The select list `insert … select` takes: each column's value (a literal, or a placeholder of its name). */
const runRowSql = (value: (column: (typeof RUN_ROW_COLUMNS)[number]) => unknown) =>
  literalRow(runs, Object.fromEntries(RUN_ROW_COLUMNS.map((c) => [c, sql`${value(c)}`])));

/**
 * The run's insert: only while the team is under its plan's cap and its token budget, checked in the
 * statement itself so runs started at once cannot pass them. Prepared once per isolate for each set of
 * gates it has (a cost budget's prices are in its SQL, so that insert is built per request).
 */
const runInserts = prepared((db) => {
  const p = sql.placeholder;
  const build = (capped: boolean, tokenBudget: boolean) =>
    db
      .insert(runs)
      .select(
        db
          .select(runRowSql(p))
          .from(tenants)
          .where(
            and(
              eq(tenants.id, p("tenantId")),
              capped ? underCap.runsThisMonth(p("tenantId"), p("cap"), p("since")) : undefined,
              tokenBudget ? underTokenBudget(p("tenantId"), p("monthlyTokens"), p("firstDay")) : undefined,
            ),
          ),
      )
      .onConflictDoNothing()
      .returning({ id: runs.id })
      .prepare();
  return { open: build(false, false), capped: build(true, false), tokenBudget: build(false, true), both: build(true, true) };
});
const runInsert = (db: Db, capped: boolean, tokenBudget: boolean) =>
  runInserts(db)[capped ? (tokenBudget ? "both" : "capped") : tokenBudget ? "tokenBudget" : "open"];

/** The team's run made with this idempotency key (none for a null key: `= null` holds for no row). */
const idempotencyRead = (db: Db, tenantId: string, key: string | null) => bound(createQueries(db).byKey, { tenantId, key });

// Every run's creation makes these: prepared once per isolate (times in ms).
const createQueries = prepared((db) => {
  const p = sql.placeholder;
  return {
    byKey: db
      .select()
      .from(runs)
      .where(and(eq(runs.tenantId, p("tenantId")), eq(runs.idempotencyKey, p("key"))))
      .prepare(),
    queued: eventIf(db, p("runId"), p("now"), "queued", p("message"), undefined).prepare(),
    /** A conversation's new turn (only if its run was inserted): counted, the conversation moved up, named after its first message if unnamed. */
    countTurn: db
      .update(conversations)
      .set({
        turns: sql`${conversations.turns} + 1`,
        updatedAt: sql`${p("now")}`,
        title: sql`coalesce(${conversations.title}, ${p("title")})`,
        removedAt: null,
      })
      .where(and(eq(conversations.id, p("conversationId")), sql`exists (select 1 from ${runs} where ${runs.id} = ${p("runId")})`))
      .prepare(),
  };
});

async function findByIdempotencyKey(db: Db, tenantId: string, key: string): Promise<Row | undefined> {
  return (await idempotencyRead(db, tenantId, key))[0];
}

function sameRequestOrConflict(existing: Row, input: CreateRunInput) {
  if (existing.agentId !== input.agentId || existing.input !== input.input) {
    throw new DomainError("CONFLICT", "That idempotency key was already used for a different run");
  }
  return { id: existing.id, status: existing.status };
}

export async function getRun(deps: Pick<RunDeps, "db" | "settings">, tenantId: string, viewer: Actor, id: string): Promise<Run> {
  // One round trip: a run the viewer may not see reads no row, and its events and files are dropped unread by anyone.
  const q = runDetailQueries(deps.db);
  const [[row], events, artifacts] = await deps.db.batch([
    visibleRunRead(deps.db, tenantId, viewer, id),
    bound(q.events, { id }),
    bound(q.artifacts, { id }),
  ]);
  if (!row) throw notFound("Run");
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

/** A run's timeline and files (runs.get, which clients poll), prepared once per isolate. */
const runDetailQueries = prepared((db) => ({
  events: db
    .select()
    .from(runEvents)
    .where(eq(runEvents.runId, sql.placeholder("id")))
    .orderBy(runEvents.id)
    .prepare(),
  artifacts: db
    .select()
    .from(runArtifacts)
    .where(eq(runArtifacts.runId, sql.placeholder("id")))
    .orderBy(runArtifacts.name)
    .prepare(),
}));

/** A page's end as a cursor: the (time, id) of its last row. */
export const encodeCursor = (r: { createdAt: Date; id: string }) => btoa(`${r.createdAt.getTime()}:${r.id}`);
export function decodeCursor(cursor: string): { createdAt: Date; id: string } {
  try {
    const [ms, id] = atob(cursor).split(":");
    if (ms && id && /^\d+$/.test(ms)) return { createdAt: new Date(Number(ms)), id };
  } catch {
    /* fall through */
  }
  throw new DomainError("BAD_REQUEST", "Invalid cursor");
}

/** Newest first, paged by (createdAt, id) so pages never skip or repeat a run. */
export async function listRuns(db: Db, tenantId: string, viewer: Actor, input: ListRunsQuery) {
  const after = input.cursor ? decodeCursor(input.cursor) : undefined;
  const rows = await db
    .select()
    .from(runs)
    .where(
      and(
        eq(runs.tenantId, tenantId),
        runVisible(viewer, tenantId),
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

/**
 * Cancels a run that has not ended. A queued run's message then finds nothing to do; a running one's
 * AgentSession stops its turn (the gateway aborts the model call) and ends its live events. `by` is
 * who asks: overseers cancel any run, anyone else only the runs they started.
 */
export async function cancelRun(
  deps: Pick<RunDeps, "db" | "notify" | "stopRun">,
  tenantId: string,
  id: string,
  by: Actor,
): Promise<{ id: string; status: RunStatus }> {
  const { db } = deps;
  const now = new Date();
  if (!by.overseer) {
    const existing = await visibleRunRow(db, tenantId, by, id);
    if (existing.createdBy !== by.actor)
      throw new DomainError("FORBIDDEN", "Only the person who started a run, or a team admin, can cancel it");
  }
  const [row] = await db
    .update(runs)
    .set({ status: "canceled", finishedAt: now, updatedAt: now, leaseExpiresAt: null })
    .where(and(eq(runs.id, id), eq(runs.tenantId, tenantId), inArray(runs.status, ["queued", "running"])))
    .returning({ id: runs.id, source: runs.source, agentId: runs.agentId });
  if (!row) {
    const existing = await visibleRunRow(db, tenantId, by, id);
    throw new DomainError("PRECONDITION_FAILED", `The run has already ${existing.status}; only a run that has not ended can be cancelled`);
  }
  await addEvent(db, id, "canceled");
  await deps
    .stopRun?.({ runId: id, tenantId, agentId: row.agentId })
    .catch((e) => console.error(`run ${id}: telling its agent session to stop failed:`, e instanceof Error ? e.message : e));
  await deps.notify?.finished(row);
  return { id, status: "canceled" };
}

// ── Live events ─────────────────────────────────────────────────────────────────────────────────────

/** Reads a run's live events from its AgentSession (the entry wires it to the Durable Object). */
export type LiveEventSource = (
  route: Required<RunMessage>,
  after: number,
  fallback?: LiveRunEventBody[],
) => Promise<ReadableStream<Uint8Array>>;

/** How long a watcher waits for an event before asking D1 whether the run ended without its executor (the reaper). */
const RECHECK_MS = 15_000;

/**
 * A run's live events after `lastEventId`, ending with `done`. They come from the AgentSession that
 * executes it; a run it has no log of (finished before, or too long ago) is answered from D1.
 */
export async function openRunEvents(
  deps: { db: Db; liveEvents: LiveEventSource },
  tenantId: string,
  viewer: Actor,
  runId: string,
  lastEventId?: string | null,
): Promise<AsyncGenerator<LiveRunEvent>> {
  // Checked before the first event, so a run the caller may not see is refused as the request's answer.
  const row = await visibleRunRow(deps.db, tenantId, viewer, runId);
  const after = Number(lastEventId ?? 0);
  const stream = await deps.liveEvents({ runId, tenantId, agentId: row.agentId }, after, endingOf(row));
  return followEvents(deps.db, runId, stream, after);
}

/** A run's last events as D1 has them (undefined while it has not ended). */
const endingOf = (r: Pick<Row, "status" | "output" | "error">): LiveRunEventBody[] | undefined =>
  r.status === "succeeded" || r.status === "failed" || r.status === "canceled"
    ? [
        { type: "status", phase: r.status, message: null },
        { type: "done", status: r.status, output: r.output, error: r.error },
      ]
    : undefined;

async function* followEvents(db: Db, runId: string, stream: ReadableStream<Uint8Array>, after: number): AsyncGenerator<LiveRunEvent> {
  const lines = readLines(stream)[Symbol.asyncIterator]();
  try {
    let next = lines.next();
    for (;;) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const got = await Promise.race([next, new Promise<null>((r) => (timer = setTimeout(() => r(null), RECHECK_MS)))]);
      clearTimeout(timer);
      if (got === null) {
        // Quiet: a run finished outside its AgentSession (the reaper, the dead-letter queue) has no `done` in the log.
        const [now] = await db.select().from(runs).where(eq(runs.id, runId));
        const end = now?.finishedAt && Date.now() - now.finishedAt.getTime() > RECHECK_MS ? endingOf(now) : undefined;
        if (end) {
          for (const body of end) yield { ...body, seq: ++after, at: new Date().toISOString() } as LiveRunEvent;
          return;
        }
        continue;
      }
      if (got.done) return;
      next = lines.next();
      if (!got.value) continue;
      const ev = JSON.parse(got.value) as LiveRunEvent;
      after = ev.seq;
      yield ev;
      if (ev.type === "done") return;
    }
  } finally {
    await lines.return?.(undefined);
  }
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
