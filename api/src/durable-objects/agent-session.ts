import { DurableObject } from "cloudflare:workers";
import { agentInstructions } from "../domain/agents";
import { executeRun, type SessionCache } from "../domain/run-executor";
import type { AgentSessionRpc, AppEnv } from "../env";
import { services, type Services } from "../services";

/** An inbox entry: which run, and not before when (a retry's backoff, or a live executor's lease). */
interface Pending {
  runId: string;
  notBefore: number;
}

/** While it works, the watchdog alarm fires this often: it keeps the object alive, and after an eviction it picks the inbox up again. */
const WATCHDOG_MS = 30_000;
/** An alarm hands on to the next one after this long (an alarm may run for 15 minutes). */
const ALARM_BUDGET_MS = 10 * 60_000;

const entryKey = (enqueuedAt: number, runId: string) => `q:${String(enqueuedAt).padStart(16, "0")}:${runId}`;

/**
 * One per agent (`tenant:<tenantId>:agent:<agentId>`): runs that agent's turns one at a time, in the
 * order they arrived. Runs wait in a durable inbox in this object's own storage, so handing a run over
 * (`enqueue`) returns at once — the queue consumer never waits on a turn — and an object that is
 * evicted or restarted picks its inbox up again from its alarm. Retries wait here for their backoff.
 */
export class AgentSession extends DurableObject<AppEnv> implements AgentSessionRpc {
  readonly #svc: Services;
  #draining?: Promise<void>;
  /** The agent's persona files, read from R2 once per instance (they are fixed when the agent is made). */
  #persona?: Promise<string>;
  readonly #loadPersona = (tenantId: string, agentId: string) => {
    this.#persona ??= agentInstructions(this.#svc.bucket, tenantId, agentId).catch((e) => {
      this.#persona = undefined;
      throw e;
    });
    return this.#persona;
  };

  /** What this agent's turns reuse: its persona, and its workspace manifest as last written to R2. */
  readonly #session: SessionCache = { persona: this.#loadPersona };

  constructor(ctx: DurableObjectState, env: AppEnv) {
    super(ctx, env);
    this.#svc = services(env);
  }

  /** Puts a run in the inbox (once, however often it is handed over) and starts working if idle. */
  async enqueue(runId: string): Promise<void> {
    const kv = this.ctx.storage.kv;
    if (kv.get(`id:${runId}`) === undefined) {
      const key = entryKey(Date.now(), runId);
      // Synchronous storage (SQLite in this object): durable once this call returns (output gate).
      kv.put(key, { runId, notBefore: 0 } satisfies Pending);
      kv.put(`id:${runId}`, key);
    }
    // The turn starts first; the watchdog alarm is set while it runs.
    this.#drain();
    await this.ctx.storage.setAlarm(Date.now() + WATCHDOG_MS);
  }

  async alarm(): Promise<void> {
    if (this.#draining) {
      // Working in memory already: only keep the watchdog going.
      await this.ctx.storage.setAlarm(Date.now() + WATCHDOG_MS);
      return;
    }
    this.#drain();
    await this.#draining;
  }

  #drain() {
    this.#draining ??= this.#work()
      .catch(async (e) => {
        console.error("agent session: working through the inbox failed, trying again shortly:", e instanceof Error ? e.message : e);
        await this.ctx.storage.setAlarm(Date.now() + WATCHDOG_MS);
      })
      .finally(() => (this.#draining = undefined));
  }

  async #work() {
    const kv = this.ctx.storage.kv;
    const started = Date.now();
    for (;;) {
      const entries = [...kv.list<Pending>({ prefix: "q:" })];
      if (!entries.length) return void (await this.ctx.storage.deleteAlarm());
      const now = Date.now();
      const due = entries.find(([, p]) => p.notBefore <= now);
      if (!due || now - started > ALARM_BUDGET_MS) {
        // Nothing due yet (backoffs), or this pass has run long enough: the alarm carries on.
        const wake = due ? now : Math.min(...entries.map(([, p]) => p.notBefore));
        return void (await this.ctx.storage.setAlarm(wake));
      }
      const [key, pending] = due;
      const outcome = await executeRun(this.#svc, pending.runId, this.#session);
      if (outcome.kind === "retry" || outcome.kind === "busy") {
        kv.put(key, { ...pending, notBefore: outcome.kind === "retry" ? Date.now() + outcome.delayMs : outcome.untilMs });
      } else {
        kv.delete(key);
        kv.delete(`id:${pending.runId}`);
      }
    }
  }
}
