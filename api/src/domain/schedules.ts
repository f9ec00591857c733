// Schedules: an agent run on a cron expression (croner, in the schedule's IANA timezone through the
// platform's Intl; DST included). The Worker's minute cron sweeps due schedules with one indexed range
// read (`next_fire_at <= now`), runs each fire time through the ordinary run pipeline (metered,
// budget-checked, retried, visible like any run) with an idempotency key per schedule and fire time,
// so a fire time runs at most once however often the sweep repeats, and then moves the schedule on.
import { Cron } from "croner";
import cronstrue from "cronstrue";
import { and, asc, desc, eq, inArray, isNotNull, lte, sql } from "drizzle-orm";
import type { CreateScheduleInput, PlanLimits, Schedule, ScheduleDelivery, ScheduleFiring, UpdateScheduleInput } from "@autoclaw/shared";
import type { Db } from "../db/client";
import { runs, scheduleFirings, scheduleSubscribers, schedules, telegramPairings, telegramReplies } from "../db/schema";
import { getAgentRow } from "./agents";
import { scopedConversation } from "./conversations";
import { newId } from "./crypto";
import { planLimitsOf } from "./entitlements";
import { DomainError, notFound } from "./errors";
import type { RunDeps } from "./run-records";
import { createRun } from "./runs";

type Row = typeof schedules.$inferSelect;

/** How many due schedules one sweep fires (the rest are the next minute's, still less than a period late). */
const SWEEP_BATCH = 200;
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

/** A person's user id from an actor (`apikey:…` is no person: it sees no Telegram pairing of its own). */
const viewerOf = (actor: string) => (actor.startsWith("apikey:") ? null : actor);

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

export async function createSchedule(
  deps: RunDeps,
  tenantId: string,
  createdBy: string,
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
  const cap = limits?.schedules ?? null;
  // The plan's cap is checked in the insert itself, so schedules created at once cannot pass it.
  const room = cap === null ? sql`1` : sql`(select count(*) from ${schedules} where ${schedules.tenantId} = ${tenantId}) < ${cap}`;
  const inserted = await db
    .insert(schedules)
    .select(
      sql`select ${id}, ${tenantId}, ${agent.id}, ${input.cron}, ${input.timezone}, ${input.input}, null, 0, ${next.getTime()}, ${createdBy}, ${now.getTime()}, ${now.getTime()} where ${room}`,
    )
    .returning({ id: schedules.id });
  if (!inserted.length)
    throw new DomainError("FORBIDDEN", `Your plan includes ${cap} schedules. Remove one, or upgrade on the Pricing page.`);
  if (input.deliver.conversation) {
    const conversationId = await ensureConversation(db, tenantId, agent.id, id, createdBy);
    await db.update(schedules).set({ conversationId }).where(eq(schedules.id, id));
  }
  return getSchedule(db, tenantId, id, viewerOf(createdBy));
}

export async function updateSchedule(deps: RunDeps, tenantId: string, actor: string, input: UpdateScheduleInput, now = new Date()) {
  const { db } = deps;
  const row = await scheduleRow(db, tenantId, input.id);
  const expr = input.cron ?? row.cron;
  const tz = input.timezone ?? row.timezone;
  const cron = cronOf(expr, tz);
  if (input.cron !== undefined || input.timezone !== undefined) assertInterval(cron, await planLimitsOf(deps, tenantId, now), now);
  const paused = input.paused ?? row.paused;
  const conversationId =
    input.deliver === undefined
      ? row.conversationId
      : input.deliver.conversation
        ? (row.conversationId ?? (await ensureConversation(db, tenantId, row.agentId, row.id, actor)))
        : null;
  // Paused: nothing is due. Resumed or changed: the next fire time from now (what was missed while paused is not run).
  const changed = input.cron !== undefined || input.timezone !== undefined || input.paused !== undefined;
  const next = paused ? null : changed ? nextFireAt(cron, now) : row.nextFireAt;
  await db
    .update(schedules)
    .set({
      cron: expr,
      timezone: tz,
      input: input.input ?? row.input,
      conversationId,
      paused,
      nextFireAt: next,
      updatedAt: now,
    })
    .where(and(eq(schedules.id, row.id), eq(schedules.tenantId, tenantId)));
  return getSchedule(db, tenantId, row.id, viewerOf(actor));
}

/** Removes the schedule and its firing history; its runs (and its conversation) stay. */
export async function removeSchedule(db: Db, tenantId: string, id: string) {
  const gone = await db
    .delete(schedules)
    .where(and(eq(schedules.id, id), eq(schedules.tenantId, tenantId)))
    .returning({ id: schedules.id });
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

function recordFiring(db: Db, scheduleId: string, fireAt: Date, firing: Omit<ScheduleFiring, "fireAt">) {
  return db
    .insert(scheduleFirings)
    .values({ scheduleId, fireAt, ...firing, recordedAt: new Date() })
    .onConflictDoNothing();
}

/** "Run now": a run of the schedule at once (its own, not a fire time's), recorded with its firings. */
export async function runScheduleNow(deps: RunDeps, tenantId: string, actor: string, id: string, now = new Date()) {
  const row = await scheduleRow(deps.db, tenantId, id);
  const run = await runOf(deps, row, actor);
  await recordFiring(deps.db, row.id, now, { status: "ran", runId: run.id, reason: "run now" });
  return { runId: run.id };
}

/**
 * One due schedule: every fire time from its `nextFireAt` up to now is due. Only the latest is less
 * than one period late (the one after it is still ahead): it runs, and any earlier one was missed while
 * the platform was down, and is skipped. A run the plan or the budget refuses is recorded as refused.
 * The run comes first and the schedule moves on after, so a crash in between is repeated by the next
 * sweep, which the idempotency key turns into the same run.
 */
async function fire(deps: RunDeps, row: Row, now: Date): Promise<ScheduleFiring["status"]> {
  const { db } = deps;
  const cron = new Cron(row.cron, { timezone: row.timezone, paused: true });
  // The latest due fire times, newest first, counted back from now (croner's previousRuns leaves out the
  // reference's own second, hence the second added): a schedule down for a month costs no more than one down for a day.
  const due = cron.previousRuns(SKIPPED_RECORDED + 1, new Date(now.getTime() + 1000)).filter((t) => t >= row.nextFireAt! && t <= now);
  const latest = due[0] ?? row.nextFireAt!;
  const missed = due.slice(1);
  let status: ScheduleFiring["status"] = "ran";
  let runId: string | null = null;
  let reason: string | null = null;
  try {
    runId = (await runOf(deps, row, row.createdBy, `schedule:${row.id}:${latest.getTime()}`)).id;
  } catch (e) {
    // The same key with other input (the schedule was edited between two sweeps): that fire time already ran.
    if (!(e instanceof DomainError)) throw e;
    if (e.code !== "CONFLICT") [status, reason] = ["refused", e.message];
  }
  const skippedReason = "Missed while AutoClaw was down: more than one period late";
  await db.batch([
    recordFiring(db, row.id, latest, { status, runId, reason }),
    ...missed.map((t) => recordFiring(db, row.id, t, { status: "skipped", runId: null, reason: skippedReason })),
    db
      .update(schedules)
      .set({ nextFireAt: nextFireAt(cron, now) })
      .where(and(eq(schedules.id, row.id), eq(schedules.nextFireAt, row.nextFireAt!), eq(schedules.paused, false))),
  ]);
  return status;
}

/** The minute's sweep: due schedules, oldest fire time first, one indexed read; each fired once. */
export async function fireDueSchedules(deps: RunDeps, now = new Date()) {
  const due = await deps.db
    .select()
    .from(schedules)
    .where(and(isNotNull(schedules.nextFireAt), lte(schedules.nextFireAt, now)))
    .orderBy(asc(schedules.nextFireAt))
    .limit(SWEEP_BATCH);
  const outcome = { ran: 0, skipped: 0, refused: 0, failed: 0 };
  // A few at a time: each is a handful of D1 statements.
  for (let i = 0; i < due.length; i += 10) {
    const results = await Promise.allSettled(due.slice(i, i + 10).map((row) => fire(deps, row, now)));
    for (const r of results) {
      if (r.status === "fulfilled") outcome[r.value]++;
      else {
        outcome.failed++;
        console.error("schedule firing failed, the next sweep tries again:", r.reason instanceof Error ? r.reason.message : r.reason);
      }
    }
  }
  return outcome;
}
