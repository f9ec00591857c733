// Schedules: an agent run on a cron expression in the team's timezone, delivered to the dashboard and,
// if chosen, into one conversation that keeps its context from firing to firing.
import { z } from "zod";
import { RUN_INPUT_MAX } from "./runs";

/** Five fields (minute hour day-of-month month day-of-week): the platform's cron ticks once a minute. */
export const cronExpression = z
  .string()
  .trim()
  .max(120)
  .refine((v) => v.split(/\s+/).length === 5, "A cron expression has 5 fields: minute hour day-of-month month day-of-week");

/** An IANA timezone the platform's Intl knows (Europe/Berlin, America/New_York, UTC). */
export const timezone = z
  .string()
  .trim()
  .min(1)
  .max(64)
  .refine((tz) => {
    try {
      new Intl.DateTimeFormat("en", { timeZone: tz });
      return true;
    } catch {
      return false;
    }
  }, "Unknown timezone: use an IANA name such as Europe/Berlin");

export const scheduleDelivery = z.object({
  /** Each firing is the next turn of the schedule's own conversation (the agent remembers earlier days). */
  conversation: z.boolean().default(false),
});
export type ScheduleDelivery = z.infer<typeof scheduleDelivery>;

const scheduleInputText = z.string().trim().min(1, "Say what the agent should do").max(RUN_INPUT_MAX);

export const createScheduleInput = z.object({
  agentId: z.string().min(1),
  cron: cronExpression,
  timezone,
  input: scheduleInputText,
  deliver: scheduleDelivery.default({ conversation: false }),
});
export type CreateScheduleInput = z.input<typeof createScheduleInput>;

export const updateScheduleInput = z.object({
  id: z.string().min(1),
  cron: cronExpression.optional(),
  timezone: timezone.optional(),
  input: scheduleInputText.optional(),
  deliver: scheduleDelivery.optional(),
  paused: z.boolean().optional(),
});
export type UpdateScheduleInput = z.input<typeof updateScheduleInput>;

export const scheduleIdInput = z.object({ id: z.string().min(1) });
/** "Send me this": the caller's own paired Telegram account gets (or stops getting) the schedule's replies. */
export const subscribeScheduleInput = z.object({ id: z.string().min(1), subscribed: z.boolean() });
export const listSchedulesInput = z.object({ agentId: z.string().min(1).optional() }).default({});

/** What became of one fire time (failed: AutoClaw could not start its run, after every retry). */
export const FIRING_STATUSES = ["ran", "skipped", "refused", "failed"] as const;
export const firingStatus = z.enum(FIRING_STATUSES);

export const scheduleFiring = z.object({
  fireAt: z.string().datetime(),
  status: firingStatus,
  runId: z.string().nullable(),
  /** Why it was skipped or refused. */
  reason: z.string().nullable(),
});
export type ScheduleFiring = z.infer<typeof scheduleFiring>;

export const schedule = z.object({
  id: z.string(),
  agentId: z.string(),
  cron: z.string(),
  timezone: z.string(),
  input: z.string(),
  deliver: scheduleDelivery,
  paused: z.boolean(),
  /** The expression in words ("At 08:00, Monday through Friday"). */
  description: z.string(),
  /** The next five fire times (none while paused). */
  nextRuns: z.array(z.string().datetime()),
  conversationId: z.string().nullable(),
  /** Telegram: how many paired people get its replies, and whether the caller does (null: the caller has no pairing in the team). */
  telegram: z.object({ subscribers: z.number().int(), mine: z.boolean().nullable() }),
  /** The latest firings, newest first. */
  firings: z.array(scheduleFiring),
  createdAt: z.string().datetime(),
  updatedAt: z.string().datetime(),
});
export type Schedule = z.infer<typeof schedule>;

/**
 * SCHEDULE_QUEUE's message: one due fire time of a schedule, handed over by the minute's sweep, and the
 * earlier fire times the sweep found missed (recorded as skipped).
 */
export const scheduleFiringMessage = z.object({
  scheduleId: z.string().min(1),
  fireAt: z.number().int(),
  missed: z.array(z.number().int()).max(10).default([]),
});
export type ScheduleFiringMessage = z.infer<typeof scheduleFiringMessage>;
