import { z } from "zod";
import {
  createScheduleInput,
  listSchedulesInput,
  schedule,
  scheduleIdInput,
  subscribeScheduleInput,
  updateScheduleInput,
} from "@autoclaw/shared";
import { personOf, userIdOf } from "../../domain/principals";
import { createSchedule, listSchedules, removeSchedule, runScheduleNow, subscribeSchedule, updateSchedule } from "../../domain/schedules";
import { accessProcedure, router } from "../init";

/** Agents run on a cron expression in the team's timezone; each firing is an ordinary run with `source: "schedule"`. */
export const schedulesRouter = router({
  create: accessProcedure("manageAgents")
    .input(createScheduleInput)
    .output(schedule)
    .mutation(({ ctx, input }) => createSchedule(ctx.svc, ctx.tenant.id, ctx.by, input)),

  list: accessProcedure("read")
    .input(listSchedulesInput)
    .output(z.array(schedule))
    .query(({ ctx, input }) => listSchedules(ctx.svc.db, ctx.tenant.id, userIdOf(ctx.principal), input.agentId)),

  /** Edit, pause (`paused: true`) or resume; a changed or resumed schedule fires next from now. */
  update: accessProcedure("manageAgents")
    .input(updateScheduleInput)
    .output(schedule)
    .mutation(({ ctx, input }) => updateSchedule(ctx.svc, ctx.tenant.id, ctx.by, input)),

  remove: accessProcedure("manageAgents")
    .input(scheduleIdInput)
    .output(z.object({ id: z.string() }))
    .mutation(({ ctx, input }) => removeSchedule(ctx.svc.db, ctx.tenant.id, input.id, ctx.by)),

  /** "Send me this": the caller's paired Telegram account gets the schedule's replies (or stops). */
  subscribe: accessProcedure("pairSelf")
    .input(subscribeScheduleInput)
    .output(schedule)
    .mutation(({ ctx, input }) => subscribeSchedule(ctx.svc.db, ctx.tenant.id, personOf(ctx.principal).userId, input.id, input.subscribed)),

  /** A run of the schedule now, besides its fire times. */
  runNow: accessProcedure("manageAgents")
    .input(scheduleIdInput)
    .output(z.object({ runId: z.string() }))
    .mutation(({ ctx, input }) => runScheduleNow(ctx.svc, ctx.tenant.id, ctx.by, input.id)),
});
