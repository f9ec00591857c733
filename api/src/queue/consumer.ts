// RUN_QUEUE and its dead-letter queue. The consumer only routes: each run goes into its agent's
// AgentSession inbox, which claims and executes it (and waits out its retries) — so a message is
// acknowledged as soon as its run is handed over, and a backlog never outlives a message's visibility.
// The DLQ consumer fails only runs whose attempts are spent; a run that never ran is handed over again.
import { runMessage, type RunMessage } from "@autoclaw/shared";
import { handleDeadLetter } from "../domain/run-executor";
import { retryDelaySeconds, routeOfRun } from "../domain/run-records";
import type { Services } from "../services";

export async function consumeRunQueue(batch: MessageBatch<RunMessage>, svc: Services): Promise<void> {
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
