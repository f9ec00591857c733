// Schedules: an agent run on a cron expression (croner, in the schedule's IANA timezone through the
// platform's Intl; DST included). The Worker's minute cron sweeps due schedules with one indexed range
// read (`next_fire_at <= now`), hands each due fire time to SCHEDULE_QUEUE and moves the schedule on;
// the queue's consumer runs it through the ordinary run pipeline (metered, budget-checked, retried,
// visible like any run) with an idempotency key per schedule and fire time, so a fire time runs at
// most once however often the sweep or the queue repeats it.
import { Cron } from "croner";
import cronstrue from "cronstrue";
import { and, asc, desc, eq, inArray, isNotNull, lte, sql } from "drizzle-orm";
import type {
  CreateScheduleInput,
  PlanLimits,
  Schedule,
  ScheduleDelivery,
  ScheduleFiring,
  ScheduleFiringMessage,
  UpdateScheduleInput,
} from "@autoclaw/shared";
import type { Db } from "../db/client";
import { runs, scheduleFirings, scheduleSubscribers, schedules, telegramPairings, telegramReplies } from "../db/schema";
import { getAgentRow } from "./agents";
import { type AuditBy, auditStatement } from "./audit";
import { scopedConversation } from "./conversations";
import { newId } from "./crypto";
import { planLimitsOf } from "./entitlements";
import { DomainError, notFound } from "./errors";
import { recordedActorOf } from "./principals";
import type { RunDeps } from "./run-records";
import { createRun } from "./runs";

type Row = typeof schedules.$inferSelect;
type FiringStatus = ScheduleFiring["status"];

/** What schedules need besides a run's dependencies: the queue the minute's sweep hands fire times to. */
export interface ScheduleDeps extends RunDeps {
  scheduleQueue: Queue<ScheduleFiringMessage>;
}
/** Firings shown with a schedule. */
const FIRINGS_SHOWN = 10;
/** Missed fire times recorded as skipped, the latest ones (a minutely schedule down for a day missed 1,440). */
const SKIPPED_RECORDED = 5;

function cronOf(expr: string, timezone: string): Cron {
  try {
    return new Cron(expr, { timezone, paused: true });
  } catch (e) {
    throw new DomainError(
      "BAD_REQUEST",
      `That cron expression is not valid: ${e instanceof Error ? e.message.replace(/^CronPattern: /, "") : e}`,
    );
  }
}

function describeCron(expr: string): string {
  try {
    return cronstrue.toString(expr, { use24HourTimeFormat: true, verbose: false });
  } catch {
    return expr;
  }
}

/**
 * The plan's say on a schedule: the shortest gap between two of its next fire times must be at least the
 * plan's minimum interval (an hourly plan cannot run every 5 minutes).
 */
function assertInterval(cron: Cron, limits: PlanLimits | null, now: Date) {
  const min = limits?.scheduleMinIntervalMinutes;
  if (!min) return;
  const times = cron.nextRuns(48, now).map((d) => d.getTime());
  for (let i = 1; i < times.length; i++)
    if (times[i]! - times[i - 1]! < min * 60_000)
      throw new DomainError(
        "FORBIDDEN",
        `Your plan runs schedules at most every ${min} minutes; this one fires ${Math.round((times[i]! - times[i - 1]!) / 60_000)} minutes apart. Choose a longer interval, or upgrade on the Pricing page.`,
      );
}

/** The person acting, if a person is (an API key sees no Telegram pairing of its own). */
const viewerOf = (by: AuditBy) => (by.actor.kind === "user" ? by.actor.id : null);

const nextFireAt = (cron: Cron, after: Date) => cron.nextRun(after) ?? null;

async function recentFirings(db: Db, ids: string[]): Promise<Map<string, ScheduleFiring[]>> {
  const byId = new Map<string, ScheduleFiring[]>(ids.map((id) => [id, []]));
  if (!ids.length) return byId;
  // The newest few per schedule, in one read.
  const rows = await db
    .select()
    .from(scheduleFirings)
    .where(
      and(
        inArray(scheduleFirings.scheduleId, ids),
        sql`${scheduleFirings.fireAt} >= coalesce((select f.fire_at from ${scheduleFirings} f where f.schedule_id = ${scheduleFirings.scheduleId} order by f.fire_at desc limit 1 offset ${FIRINGS_SHOWN - 1}), 0)`,
      ),
    )
    .orderBy(desc(scheduleFirings.fireAt));
  for (const r of rows)
    byId.get(r.scheduleId)?.push({ fireAt: r.fireAt.toISOString(), status: r.status, runId: r.runId, reason: r.reason });
  return byId;
}

/** Who gets each schedule's replies in Telegram: the count of paired subscribers, and the viewer's own pairings (people only). */
async function telegramOf(db: Db, tenantId: string, ids: string[], viewer: string | null) {
  const counts = new Map<string, number>();
  const mine = new Set<string>();
  if (!ids.length) return { counts, mine, paired: false };
  const [subscribed, own] = await db.batch([
    db
      .select({
        scheduleId: scheduleSubscribers.scheduleId,
        telegramUserId: scheduleSubscribers.telegramUserId,
        by: telegramPairings.pairedByUserId,
      })
      .from(scheduleSubscribers)
      .innerJoin(telegramPairings, eq(telegramPairings.telegramUserId, scheduleSubscribers.telegramUserId))
      .where(and(inArray(scheduleSubscribers.scheduleId, ids), eq(telegramPairings.tenantId, tenantId))),
    db
      .select({ telegramUserId: telegramPairings.telegramUserId })
      .from(telegramPairings)
      .where(and(eq(telegramPairings.tenantId, tenantId), eq(telegramPairings.pairedByUserId, viewer ?? ""))),
  ]);
  for (const s of subscribed) {
    counts.set(s.scheduleId, (counts.get(s.scheduleId) ?? 0) + 1);
    if (viewer && s.by === viewer) mine.add(s.scheduleId);
  }
  return { counts, mine, paired: own.length > 0 };
}

async function detailed(db: Db, tenantId: string, rows: Row[], viewer: string | null): Promise<Schedule[]> {
  const ids = rows.map((r) => r.id);
  const [firings, tg] = await Promise.all([recentFirings(db, ids), telegramOf(db, tenantId, ids, viewer)]);
  return rows.map((r) =>
    toSchedule(r, firings.get(r.id) ?? [], { subscribers: tg.counts.get(r.id) ?? 0, mine: tg.paired ? tg.mine.has(r.id) : null }),
  );
}

function toSchedule(r: Row, firings: ScheduleFiring[], telegram: Schedule["telegram"]): Schedule {
  const cron = new Cron(r.cron, { timezone: r.timezone, paused: true });
  const next = r.paused ? null : r.nextFireAt;
  return {
    id: r.id,
    agentId: r.agentId,
    cron: r.cron,
    timezone: r.timezone,
    input: r.input,
    deliver: { conversation: !!r.conversationId },
    paused: r.paused,
    description: describeCron(r.cron),
    nextRuns: next ? [next, ...cron.nextRuns(4, next)].map((d) => d.toISOString()) : [],
    conversationId: r.conversationId,
    telegram,
    firings,
    createdAt: r.createdAt.toISOString(),
    updatedAt: r.updatedAt.toISOString(),
  };
}

async function scheduleRow(db: Db, tenantId: string, id: string): Promise<Row> {
  const [row] = await db
    .select()
    .from(schedules)
    .where(and(eq(schedules.id, id), eq(schedules.tenantId, tenantId)));
  if (!row) throw notFound("Schedule");
  return row;
}

async function getSchedule(db: Db, tenantId: string, id: string, viewer: string | null): Promise<Schedule> {
  const [schedule] = await detailed(db, tenantId, [await scheduleRow(db, tenantId, id)], viewer);
  return schedule!;
}

/** The team's schedules; `viewer` (a person's user id) sees whether they get each one in Telegram. */
export async function listSchedules(db: Db, tenantId: string, viewer: string | null, agentId?: string): Promise<Schedule[]> {
  const rows = await db
    .select()
    .from(schedules)
    .where(and(eq(schedules.tenantId, tenantId), agentId ? eq(schedules.agentId, agentId) : undefined))
    .orderBy(asc(schedules.createdAt));
  return detailed(db, tenantId, rows, viewer);
}

/**
 * "Send me this": the viewer's Telegram accounts paired with this team get (or stop getting) the
 * schedule's replies. Without a pairing there is nothing to send to.
 */
export async function subscribeSchedule(db: Db, tenantId: string, viewer: string, id: string, subscribed: boolean) {
  const row = await scheduleRow(db, tenantId, id);
  const own = await db
    .select({ telegramUserId: telegramPairings.telegramUserId })
    .from(telegramPairings)
    .where(and(eq(telegramPairings.tenantId, tenantId), eq(telegramPairings.pairedByUserId, viewer)));
  if (!own.length)
    throw new DomainError("PRECONDITION_FAILED", "Pair your Telegram account first (Telegram page), then ask for this schedule");
  const ids = own.map((p) => p.telegramUserId);
  if (subscribed)
    await db
      .insert(scheduleSubscribers)
      .values(ids.map((telegramUserId) => ({ scheduleId: row.id, telegramUserId })))
      .onConflictDoNothing();
  else
    await db
      .delete(scheduleSubscribers)
      .where(and(eq(scheduleSubscribers.scheduleId, row.id), inArray(scheduleSubscribers.telegramUserId, ids)));
  return getSchedule(db, tenantId, row.id, viewer);
}

/** A paired Telegram user's view of the team's schedules, in the order `/schedules <n>` numbers them. */
export async function schedulesForTelegram(db: Db, tenantId: string, telegramUserId: number) {
  const rows = await db
    .select({
      id: schedules.id,
      agentId: schedules.agentId,
      cron: schedules.cron,
      timezone: schedules.timezone,
      paused: schedules.paused,
      nextFireAt: schedules.nextFireAt,
      mine: sql<number>`exists (select 1 from ${scheduleSubscribers} where ${scheduleSubscribers.scheduleId} = ${schedules.id}
        and ${scheduleSubscribers.telegramUserId} = ${telegramUserId})`,
    })
    .from(schedules)
    .where(eq(schedules.tenantId, tenantId))
    .orderBy(asc(schedules.createdAt), asc(schedules.id));
  return rows.map((r) => ({ ...r, mine: !!r.mine, description: describeCron(r.cron), next: r.paused ? null : r.nextFireAt }));
}

/** `/schedules <n>` in Telegram: this Telegram account gets the schedule's replies, or stops getting them. */
export async function toggleTelegramSubscription(db: Db, telegramUserId: number, scheduleId: string): Promise<boolean> {
  const added = await db
    .insert(scheduleSubscribers)
    .values({ scheduleId, telegramUserId })
    .onConflictDoNothing()
    .returning({ scheduleId: scheduleSubscribers.scheduleId });
  if (added.length) return true;
  await db
    .delete(scheduleSubscribers)
    .where(and(eq(scheduleSubscribers.scheduleId, scheduleId), eq(scheduleSubscribers.telegramUserId, telegramUserId)));
  return false;
}

/** The schedule's own conversation (one OpenClaw session across its firings), made when first asked for. */
const ensureConversation = async (db: Db, tenantId: string, agentId: string, scheduleId: string, ownerId: string) =>
  (
    await scopedConversation(db, tenantId, agentId, {
      source: "schedule",
      scope: `schedule:${scheduleId}`,
      ownerId,
      title: "Scheduled runs",
    })
  ).id;

const labelOf = (cron: string, timezone: string) => `${cron} (${timezone})`;

export async function createSchedule(
  deps: RunDeps,
  tenantId: string,
  by: AuditBy,
  input: Required<CreateScheduleInput> & { deliver: ScheduleDelivery },
  now = new Date(),
): Promise<Schedule> {
  const { db } = deps;
  const agent = await getAgentRow(db, tenantId, input.agentId);
  const cron = cronOf(input.cron, input.timezone);
  const next = nextFireAt(cron, now);
  if (!next) throw new DomainError("BAD_REQUEST", "That cron expression never fires again");
  const limits = await planLimitsOf(deps, tenantId, now);
  assertInterval(cron, limits, now);
  const id = newId("sch");
  const createdBy = recordedActorOf(by);
  const cap = limits?.schedules ?? null;
  // The plan's cap is checked in the insert itself, so schedules created at once cannot pass it.
  const room = cap === null ? sql`1` : sql`(select count(*) from ${schedules} where ${schedules.tenantId} = ${tenantId}) < ${cap}`;
  const [inserted] = await db.batch([
    db
      .insert(schedules)
      .select(
        sql`select ${id}, ${tenantId}, ${agent.id}, ${input.cron}, ${input.timezone}, ${input.input}, null, 0, ${next.getTime()}, ${createdBy}, ${now.getTime()}, ${now.getTime()} where ${room}`,
      )
      .returning({ id: schedules.id }),
    auditStatement(db, tenantId, by, {
      action: "schedule.created",
      target: { kind: "schedule", id, label: labelOf(input.cron, input.timezone) },
      metadata: { agentId: agent.id, conversation: input.deliver.conversation },
    }),
  ]);
  if (!inserted.length)
    throw new DomainError("FORBIDDEN", `Your plan includes ${cap} schedules. Remove one, or upgrade on the Pricing page.`);
  if (input.deliver.conversation) {
    const conversationId = await ensureConversation(db, tenantId, agent.id, id, createdBy);
    await db.update(schedules).set({ conversationId }).where(eq(schedules.id, id));
  }
  return getSchedule(db, tenantId, id, viewerOf(by));
}

export async function updateSchedule(deps: RunDeps, tenantId: string, by: AuditBy, input: UpdateScheduleInput, now = new Date()) {
  const { db } = deps;
  const row = await scheduleRow(db, tenantId, input.id);
  const expr = input.cron ?? row.cron;
  const tz = input.timezone ?? row.timezone;
  const cron = cronOf(expr, tz);
  const paused = input.paused ?? row.paused;
  const conversation = input.deliver?.conversation ?? !!row.conversationId;
  const changed = {
    cron: expr !== row.cron,
    timezone: tz !== row.timezone,
    input: input.input !== undefined && input.input !== row.input,
    conversation: conversation !== !!row.conversationId,
    paused: paused !== row.paused,
  };
  const fields = Object.entries(changed).flatMap(([k, v]) => (v ? [k] : []));
  // Nothing differs: nothing is written, and nothing recorded.
  if (!fields.length) return getSchedule(db, tenantId, row.id, viewerOf(by));
  if (changed.cron || changed.timezone) assertInterval(cron, await planLimitsOf(deps, tenantId, now), now);
  const conversationId = !conversation
    ? null
    : (row.conversationId ?? (await ensureConversation(db, tenantId, row.agentId, row.id, recordedActorOf(by))));
  // Paused: nothing is due. Resumed or re-timed: the next fire time from now (what was missed while paused is not run).
  const next = paused ? null : changed.cron || changed.timezone || changed.paused ? nextFireAt(cron, now) : row.nextFireAt;
  await db.batch([
    db
      .update(schedules)
      .set({ cron: expr, timezone: tz, input: input.input ?? row.input, conversationId, paused, nextFireAt: next, updatedAt: now })
      .where(and(eq(schedules.id, row.id), eq(schedules.tenantId, tenantId))),
    auditStatement(db, tenantId, by, {
      action: "schedule.changed",
      target: { kind: "schedule", id: row.id, label: labelOf(expr, tz) },
      metadata: { changed: fields.join(","), paused },
    }),
  ]);
  return getSchedule(db, tenantId, row.id, viewerOf(by));
}

/** Removes the schedule and its firing history; its runs (and its conversation) stay. */
export async function removeSchedule(db: Db, tenantId: string, id: string, by: AuditBy) {
  const mine = and(eq(schedules.id, id), eq(schedules.tenantId, tenantId));
  const [, gone] = await db.batch([
    // Written first, to name what goes.
    auditStatement(
      db,
      tenantId,
      by,
      {
        action: "schedule.removed",
        target: {
          kind: "schedule",
          id,
          label: sql`(select ${schedules.cron} || ' (' || ${schedules.timezone} || ')' from ${schedules} where ${mine})`,
        },
      },
      sql`exists (select 1 from ${schedules} where ${mine})`,
    ),
    db.delete(schedules).where(mine).returning({ id: schedules.id }),
  ]);
  if (!gone.length) throw notFound("Schedule");
  return { id };
}

/**
 * A run of the schedule. Its reply is owed, in the run's own batch, to the Telegram chat of each person
 * who asked for it and is still paired with the team (a repeated fire time's run is not inserted, and
 * then neither is this).
 */
const runOf = (deps: RunDeps, row: Row, createdBy: string, idempotencyKey?: string) =>
  createRun(deps, row.tenantId, { agentId: row.agentId, input: row.input, idempotencyKey }, "schedule", {
    conversation: row.conversationId ? { id: row.conversationId, scope: `schedule:${row.id}` } : undefined,
    createdBy,
    also: (runId) => [
      deps.db
        .insert(telegramReplies)
        .select(
          sql`select ${runId}, ${telegramPairings.chatId}, null, null from ${scheduleSubscribers}
            join ${telegramPairings} on ${telegramPairings.telegramUserId} = ${scheduleSubscribers.telegramUserId}
            where ${scheduleSubscribers.scheduleId} = ${row.id} and ${telegramPairings.tenantId} = ${row.tenantId}
              and exists (select 1 from ${runs} where ${runs.id} = ${runId})`,
        )
        .onConflictDoNothing(),
    ],
  });

/** "Run now": a run of the schedule at once (its own, not a fire time's), recorded with its firings. */
export async function runScheduleNow(deps: RunDeps, tenantId: string, by: AuditBy, id: string, now = new Date()) {
  const row = await scheduleRow(deps.db, tenantId, id);
  const run = await runOf(deps, row, recordedActorOf(by));
  await recordIfScheduled(deps.db, row.id, now.getTime(), { status: "ran", runId: run.id, reason: "run now" });
  return { runId: run.id };
}

/** Due fire times handed over per sweep; the rest are the next minute's (still less than one period late). */
const SWEEP_MAX = 10_000;
/** Messages per `sendBatch` (Queues' limit). */
const SEND_BATCH = 100;
/** Schedules moved on per UPDATE (its JSON parameter holds ~70 bytes each). */
const ADVANCE_CHUNK = 1_000;

/** One due schedule as the sweep found it: the fire time to run, those missed before it, and where it moves on to. */
interface Due {
  message: ScheduleFiringMessage;
  prev: number;
  next: number | null;
}

/**
 * Every fire time from `from` up to now is due. Only the latest is less than one period late (the one
 * after it is still ahead): it runs; any earlier one was missed while the platform was down and is
 * skipped. Usually the next fire time after `from` is already ahead, and that is all there is to it.
 */
function dueOf(cron: Cron, id: string, from: Date, now: Date): Due {
  let next = cron.nextRun(from);
  if (!next || next > now)
    return { message: { scheduleId: id, fireAt: from.getTime(), missed: [] }, prev: from.getTime(), next: next?.getTime() ?? null };
  // The latest due fire times, newest first, counted back from now (croner's previousRuns leaves out the
  // reference's own second, hence the second added): a schedule down for a month costs no more than one down for a day.
  const times = cron.previousRuns(SKIPPED_RECORDED + 1, new Date(now.getTime() + 1000)).filter((t) => t >= from && t <= now);
  next = cron.nextRun(now);
  return {
    message: { scheduleId: id, fireAt: (times[0] ?? from).getTime(), missed: times.slice(1).map((t) => t.getTime()) },
    prev: from.getTime(),
    next: next?.getTime() ?? null,
  };
}

/**
 * The minute's sweep: due schedules, oldest fire time first, in one indexed read; each due fire time
 * handed to SCHEDULE_QUEUE (whose consumer makes the run), then the schedules moved on. The sweep does
 * no per-schedule D1 work: 10,000 due at once are one read, 100 sends and 10 updates (bench/schedules.ts).
 * It sends before it moves a schedule on, so a crash in between only sends the same fire time again,
 * which its run's idempotency key turns into the same run.
 */
export async function sweepDueSchedules(deps: Pick<ScheduleDeps, "db" | "scheduleQueue">, now = new Date()) {
  const { db } = deps;
  const rows = await db
    .select({ id: schedules.id, cron: schedules.cron, timezone: schedules.timezone, nextFireAt: schedules.nextFireAt })
    .from(schedules)
    .where(and(isNotNull(schedules.nextFireAt), lte(schedules.nextFireAt, now)))
    .orderBy(asc(schedules.nextFireAt))
    .limit(SWEEP_MAX);
  // Many schedules share an expression ("0 8 * * 1-5"): each is parsed once per sweep.
  const crons = new Map<string, Cron>();
  const due = rows.map((r) => {
    const key = `${r.timezone}\n${r.cron}`;
    const cron = crons.get(key) ?? new Cron(r.cron, { timezone: r.timezone, paused: true });
    crons.set(key, cron);
    return dueOf(cron, r.id, r.nextFireAt!, now);
  });
  const sends = chunks(due, SEND_BATCH);
  for (const group of chunks(sends, 10))
    await Promise.all(group.map((c) => deps.scheduleQueue.sendBatch(c.map((d) => ({ body: d.message })))));
  // Moved on only if nothing moved it meanwhile (an edit, a pause, another sweep). `update … from` joins
  // the chunk's moves to schedules by primary key; a correlated `exists (… json_each …)` instead reads
  // every move for every schedule, quadratic (44 s against 26 ms for 10,000 in SQLite).
  const advances = chunks(due, ADVANCE_CHUNK).map((c) => {
    const moves = JSON.stringify(c.map((d) => ({ i: d.message.scheduleId, p: d.prev, n: d.next })));
    return db
      .update(schedules)
      .set({ nextFireAt: sql`m.n` })
      .from(sql`(select value ->> 'i' as i, value ->> 'p' as p, value ->> 'n' as n from json_each(${moves})) as m`)
      .where(and(eq(schedules.paused, false), sql`${schedules.id} = m.i and ${schedules.nextFireAt} = m.p`));
  });
  if (advances.length) await db.batch(advances as [(typeof advances)[0], ...typeof advances]);
  return { due: due.length, sends: sends.length, statements: 1 + advances.length };
}

function chunks<T>(xs: T[], n: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i += n) out.push(xs.slice(i, i + n));
  return out;
}

/**
 * The plan's say at fire time, so a downgrade takes effect without touching the team's schedules: past
 * the plan's number of schedules (oldest first keep running) or under its interval, a firing is refused
 * with the reason, and upgrading again lets them run.
 */
async function assertWithinPlan(deps: RunDeps, row: Row, olderSchedules: number, at: Date) {
  const limits = await planLimitsOf(deps, row.tenantId, at);
  if (limits?.schedules != null && olderSchedules >= limits.schedules)
    throw new DomainError(
      "FORBIDDEN",
      `Your plan includes ${limits.schedules} schedules and this team has more: the newest ones do not run. Remove some, or upgrade on the Pricing page.`,
    );
  assertInterval(new Cron(row.cron, { timezone: row.timezone, paused: true }), limits, at);
}

const SKIPPED_REASON = "Missed while AutoClaw was down: more than one period late";

/** A fire time's record, written only while its schedule exists (one removed meanwhile has no history to keep). */
const recordIfScheduled = (db: Db, scheduleId: string, fireAt: number, firing: Omit<ScheduleFiring, "fireAt">) =>
  db
    .insert(scheduleFirings)
    .select(
      sql`select ${scheduleId}, ${fireAt}, ${firing.status}, ${firing.runId}, ${firing.reason}, ${Date.now()}
        where exists (select 1 from ${schedules} where ${schedules.id} = ${scheduleId})`,
    )
    .onConflictDoNothing();

/**
 * SCHEDULE_QUEUE's consumer: one due fire time becomes a run (idempotency key per schedule and fire
 * time, so a repeated message is the same run), or a refusal with the plan's or the budget's reason;
 * the fire times missed before it are recorded as skipped.
 */
export async function fireSchedule(deps: RunDeps, m: ScheduleFiringMessage): Promise<FiringStatus | "gone"> {
  const { db } = deps;
  const [found] = await db
    .select({
      row: schedules,
      // Spelled out: inside the subquery, drizzle's bare column names would mean the inner table's.
      older: sql<number>`(select count(*) from schedules o where o.tenant_id = "schedules"."tenant_id"
        and (o.created_at, o.id) < ("schedules"."created_at", "schedules"."id"))`,
    })
    .from(schedules)
    .where(eq(schedules.id, m.scheduleId));
  if (!found) return "gone";
  const { row } = found;
  let firing: Omit<ScheduleFiring, "fireAt"> = { status: "ran", runId: null, reason: null };
  if (row.paused) firing = { status: "skipped", runId: null, reason: "Paused before it ran" };
  else
    try {
      await assertWithinPlan(deps, row, found.older, new Date(m.fireAt));
      firing.runId = (await runOf(deps, row, row.createdBy, `schedule:${row.id}:${m.fireAt}`)).id;
    } catch (e) {
      // The same key with other input (the schedule was edited meanwhile): that fire time already ran.
      if (!(e instanceof DomainError)) throw e;
      if (e.code !== "CONFLICT") firing = { status: "refused", runId: null, reason: e.message };
    }
  await db.batch([
    recordIfScheduled(db, row.id, m.fireAt, firing),
    ...m.missed.map((t) => recordIfScheduled(db, row.id, t, { status: "skipped", runId: null, reason: SKIPPED_REASON })),
  ]);
  return firing.status;
}

/** A fire time whose every delivery failed (the dead-letter queue): recorded as failed, never silently lost. */
export async function failFiring(db: Db, m: ScheduleFiringMessage) {
  await db.batch([
    recordIfScheduled(db, m.scheduleId, m.fireAt, {
      status: "failed",
      runId: null,
      reason: "AutoClaw could not start this run after several attempts",
    }),
    ...m.missed.map((t) => recordIfScheduled(db, m.scheduleId, t, { status: "skipped", runId: null, reason: SKIPPED_REASON })),
  ]);
}
