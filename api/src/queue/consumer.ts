// The Worker's queues and their dead-letter queues, told apart by name.
// RUN_QUEUE's consumer only routes: each run goes into its agent's AgentSession inbox, which claims and
// executes it (and waits out its retries) — so a message is acknowledged as soon as its run is handed
// over, and a backlog never outlives a message's visibility. Its DLQ consumer fails only runs whose
// attempts are spent; a run that never ran is handed over again.
// SCHEDULE_QUEUE's consumer turns each due fire time into its run; its DLQ records the fire time as failed.
import { runMessage, type RunMessage, scheduleFiringMessage, type ScheduleFiringMessage } from "@autoclaw/shared";
import type { z } from "zod";
import { handleDeadLetter } from "../domain/run-executor";
import { retryDelaySeconds, routeOfRun } from "../domain/run-records";
import { failFiring, fireSchedule } from "../domain/schedules";
import type { Services } from "../services";

export type QueueMessage = RunMessage | ScheduleFiringMessage;

export function consumeQueue(batch: MessageBatch<QueueMessage>, svc: Services): Promise<void> {
  const deadLetters = batch.queue.endsWith("-dlq");
  if (batch.queue.startsWith("autoclaw-schedules"))
    return eachMessage(
      batch,
      svc,
      scheduleFiringMessage,
      async (m) => {
        if (deadLetters) await failFiring(svc.db, m);
        else await fireSchedule(svc, m);
      },
      (m) => `schedule ${m.scheduleId}: firing failed`,
    );
  return eachMessage(
    batch,
    svc,
    runMessage,
    async (m) => {
      if (deadLetters && (await handleDeadLetter(svc, m.runId)) !== "redeliver") return;
      const route = await routeOfRun(svc.db, m);
      if (route) await svc.dispatch(route);
    },
    (m) => `run ${m.runId}: hand-over failed`,
  );
}

/**
 * Every message at once: a malformed one is dropped (retrying cannot mend it), a handled one
 * acknowledged, and one whose handling threw retried after the run retry policy's delay.
 */
async function eachMessage<T>(
  batch: MessageBatch<QueueMessage>,
  svc: Services,
  schema: z.ZodType<T>,
  handle: (body: T) => Promise<void>,
  failed: (body: T) => string,
): Promise<void> {
  await Promise.all(
    batch.messages.map(async (msg) => {
      const parsed = schema.safeParse(msg.body);
      if (!parsed.success) {
        console.warn(`dropping malformed ${batch.queue} message ${msg.id}`);
        return msg.ack();
      }
      try {
        await handle(parsed.data);
        msg.ack();
      } catch (e) {
        console.error(`${failed(parsed.data)}, will retry:`, e instanceof Error ? e.message : e);
        msg.retry({ delaySeconds: retryDelaySeconds(svc.settings, msg.attempts) });
      }
    }),
  );
}
