// RUN_QUEUE and its dead-letter queue. The consumer only routes: each run goes to its agent's
// AgentSession, which claims and executes it; the DLQ consumer fails runs whose retries are spent.
import { eq } from "drizzle-orm";
import { z } from "zod";
import { runDeps, services } from "../deps";
import { runs } from "../db/schema";
import { failDeadLetteredRun, retryDelaySeconds, type RunMessage } from "../domain/runs";
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
        if (deadLetters) {
          await failDeadLetteredRun(runDeps(env), runId);
          return msg.ack();
        }
        // Messages carry their route; the reaper's re-sends carry only the id.
        const { tenantId, agentId } = parsed.data;
        const run = tenantId && agentId ? { tenantId, agentId } : await db.query.runs.findFirst({ where: eq(runs.id, runId), columns: { tenantId: true, agentId: true } });
        if (!run) return msg.ack();
        const outcome = await agentSession(env, run.tenantId, run.agentId).execute(runId);
        if (outcome === "retry") msg.retry({ delaySeconds: retryDelaySeconds(settings(env), msg.attempts) });
        else msg.ack();
      } catch (e) {
        console.error(`run ${runId}: delivery failed, will retry:`, e instanceof Error ? e.message : e);
        msg.retry({ delaySeconds: retryDelaySeconds(settings(env), msg.attempts) });
      }
    }),
  );
}
