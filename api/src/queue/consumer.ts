// RUN_QUEUE and its dead-letter queue. The consumer only routes: each run goes into its agent's
// AgentSession inbox, which claims and executes it (and waits out its retries) — so a message is
// acknowledged as soon as its run is handed over, and a backlog never outlives a message's visibility.
// The DLQ consumer fails only runs whose attempts are spent; a run that never ran is handed over again.
import { eq } from "drizzle-orm";
import { z } from "zod";
import { runDeps, services } from "../deps";
import { runs } from "../db/schema";
import { handleDeadLetter } from "../domain/run-executor";
import { retryDelaySeconds, type RunMessage } from "../domain/run-records";
import { agentSession, settings, type AppEnv } from "../env";

const runMessage = z.object({ runId: z.string().min(1), tenantId: z.string().min(1).optional(), agentId: z.string().min(1).optional() });

export async function consumeRunQueue(batch: MessageBatch<RunMessage>, env: AppEnv): Promise<void> {
  const { db } = services(env);
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
        if (deadLetters && (await handleDeadLetter(runDeps(env), runId)) !== "redeliver") return msg.ack();
        // Messages carry their route; the reaper's re-sends of old runs may carry only the id.
        const { tenantId, agentId } = parsed.data;
        const [run] =
          tenantId && agentId
            ? [{ tenantId, agentId }]
            : await db.select({ tenantId: runs.tenantId, agentId: runs.agentId }).from(runs).where(eq(runs.id, runId));
        if (run) await agentSession(env, run.tenantId, run.agentId).enqueue(runId);
        msg.ack();
      } catch (e) {
        console.error(`run ${runId}: hand-over failed, will retry:`, e instanceof Error ? e.message : e);
        msg.retry({ delaySeconds: retryDelaySeconds(settings(env), msg.attempts) });
      }
    }),
  );
}
