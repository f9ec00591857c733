// The Worker's queues and their dead-letter queues, told apart by name.
// RUN_QUEUE's consumer only routes: each run goes into its agent's AgentSession inbox, which claims and
// executes it (and waits out its retries) — so a message is acknowledged as soon as its run is handed
// over, and a backlog never outlives a message's visibility. Its DLQ consumer fails only runs whose
// attempts are spent; a run that never ran is handed over again.
// SCHEDULE_QUEUE's consumer turns each due fire time into its run; its DLQ records the fire time as failed.
import { runMessage, type RunMessage, scheduleFiringMessage, type ScheduleFiringMessage } from "@autoclaw/shared";
import { handleDeadLetter } from "../domain/run-executor";
import { retryDelaySeconds, routeOfRun } from "../domain/run-records";
import { failFiring, fireSchedule } from "../domain/schedules";
import type { Services } from "../services";

export type QueueMessage = RunMessage | ScheduleFiringMessage;

export function consumeQueue(batch: MessageBatch<QueueMessage>, svc: Services): Promise<void> {
  if (batch.queue.startsWith("autoclaw-schedules")) return consumeScheduleQueue(batch as MessageBatch<ScheduleFiringMessage>, svc);
  return consumeRunQueue(batch as MessageBatch<RunMessage>, svc);
}

async function consumeScheduleQueue(batch: MessageBatch<ScheduleFiringMessage>, svc: Services): Promise<void> {
  const deadLetters = batch.queue.endsWith("-dlq");
  await Promise.all(
    batch.messages.map(async (msg) => {
      const parsed = scheduleFiringMessage.safeParse(msg.body);
      if (!parsed.success) {
        console.warn(`dropping malformed ${batch.queue} message ${msg.id}`);
        return msg.ack();
      }
      try {
        if (deadLetters) await failFiring(svc.db, parsed.data);
        else await fireSchedule(svc, parsed.data);
        msg.ack();
      } catch (e) {
        console.error(`schedule ${parsed.data.scheduleId}: firing failed, will retry:`, e instanceof Error ? e.message : e);
        msg.retry({ delaySeconds: retryDelaySeconds(svc.settings, msg.attempts) });
      }
    }),
  );
}

async function consumeRunQueue(batch: MessageBatch<RunMessage>, svc: Services): Promise<void> {
  const deadLetters = batch.queue.endsWith("-dlq");
  await Promise.all(
    batch.messages.map(async (msg) => {
      const parsed = runMessage.safeParse(msg.body);
      if (!parsed.success) {
        console.warn(`dropping malformed ${batch.queue} message ${msg.id}`);
        return msg.ack();
      }
      const { runId } = parsed.data;
      try {
        if (deadLetters && (await handleDeadLetter(svc, runId)) !== "redeliver") return msg.ack();
        const route = await routeOfRun(svc.db, parsed.data);
        if (route) await svc.dispatch(route);
        msg.ack();
      } catch (e) {
        console.error(`run ${runId}: hand-over failed, will retry:`, e instanceof Error ? e.message : e);
        msg.retry({ delaySeconds: retryDelaySeconds(svc.settings, msg.attempts) });
      }
    }),
  );
}
