import { DurableObject } from "cloudflare:workers";
import { agentInstructions } from "../domain/agents";
import type { LiveRunEventBody } from "@autoclaw/shared";
import { eq, and } from "drizzle-orm";
import { runs } from "../db/schema";
import { executeRun, type SessionCache } from "../domain/run-executor";
import type { RunDeps } from "../domain/run-records";
import { RunEventLog } from "./run-event-log";
import type { AgentSessionRpc, AppEnv } from "../env";
import { services, type Services } from "../services";

/** An inbox entry: which run, and not before when (a retry's backoff, or a live executor's lease). */
interface Pending {
  runId: string;
  notBefore: number;
}

/** While it works, the watchdog alarm fires this often: it keeps the object alive, and after an eviction it picks the inbox up again. */
export const WATCHDOG_MS = 30_000;
/** An alarm hands on to the next one after this long (an alarm may run for 15 minutes). */
const ALARM_BUDGET_MS = 10 * 60_000;

export const entryKey = (enqueuedAt: number, runId: string) => `q:${String(enqueuedAt).padStart(16, "0")}:${runId}`;

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
  /** The live events of the runs this object executes. */
  readonly #log: RunEventLog;
  readonly #deps: RunDeps;

  constructor(ctx: DurableObjectState, env: AppEnv) {
    super(ctx, env);
    this.#svc = services(env);
    this.#log = new RunEventLog(ctx.storage);
    this.#deps = { ...this.#svc, live: (runId, ev) => this.#log.append(runId, ev) };
  }

  /**
   * Puts a run in the inbox (once, however often it is handed over) and starts working if idle. With
   * `waitMs`, answers only once the run's events have ended (true) or the wait is over (false), so a
   * caller holding its answer for the run needs no second call.
   */
  async enqueue(runId: string, waitMs?: number): Promise<boolean> {
    const kv = this.ctx.storage.kv;
    if (kv.get(`id:${runId}`) === undefined) {
      const key = entryKey(Date.now(), runId);
      // Synchronous storage (SQLite in this object): durable once this call returns (output gate).
      kv.put(key, { runId, notBefore: 0 } satisfies Pending);
      kv.put(`id:${runId}`, key);
      this.#log.open(runId, { type: "status", phase: "queued", message: null });
    }
    // The turn starts first; the watchdog alarm is set while it runs.
    this.#drain();
    await this.#watchdog();
    return waitMs ? this.#log.ended(runId, waitMs) : false;
  }

  /**
   * The run was cancelled (D1 says so already): out of the inbox, its turn stopped if it is the one
   * running (aborting the request makes the gateway abort the model call), and its events ended with
   * what it had written so far, which is kept as its output.
   */
  async cancel(runId: string): Promise<void> {
    const kv = this.ctx.storage.kv;
    const key = kv.get<string>(`id:${runId}`);
    if (key) {
      kv.delete(key);
      kv.delete(`id:${runId}`);
    }
    if (this.#session.current?.runId === runId) this.#session.current.stop.abort("canceled");
    const partial = this.#log.textOf(runId);
    this.#log.append(runId, { type: "status", phase: "canceled", message: null });
    this.#log.append(runId, { type: "done", status: "canceled", output: partial || null, error: null });
    if (partial)
      await this.#svc.db
        .update(runs)
        .set({ output: partial })
        .where(and(eq(runs.id, runId), eq(runs.status, "canceled")));
  }

  /** A run's live events after `after` (NDJSON); `fallback` answers for a run this object has no log of. */
  events(runId: string, after: number, fallback?: LiveRunEventBody[]): ReadableStream<Uint8Array> {
    return this.#log.read(runId, after, fallback);
  }

  /** A tool call the model proxy saw this agent's model make: an event of the run executing now. */
  async toolCalled(name: string, summary: string): Promise<void> {
    const runId = this.#session.current?.runId;
    if (runId) this.#log.append(runId, { type: "tool", name, summary });
  }

  /**
   * An alarm within WATCHDOG_MS while the inbox has work: one already that soon will do (an alarm that
   * finds nothing to do only looks at the logs), so a steady stream of runs writes no alarm per run.
   */
  async #watchdog() {
    const now = Date.now();
    const pending = await this.ctx.storage.getAlarm();
    if (pending === null || pending > now + WATCHDOG_MS) await this.ctx.storage.setAlarm(now + WATCHDOG_MS);
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
      if (!entries.length) {
        // Idle: wake again only to drop finished runs' event logs. A watchdog alarm still pending is
        // left to fire (it finds nothing and sets this one): no alarm write for every run.
        const pending = await this.ctx.storage.getAlarm();
        if (pending !== null && pending <= Date.now() + WATCHDOG_MS) return;
        const prune = this.#log.prune();
        return void (await (prune ? this.ctx.storage.setAlarm(prune) : this.ctx.storage.deleteAlarm()));
      }
      const now = Date.now();
      const due = entries.find(([, p]) => p.notBefore <= now);
      if (!due || now - started > ALARM_BUDGET_MS) {
        // Nothing due yet (backoffs), or this pass has run long enough: the alarm carries on.
        const wake = due ? now : Math.min(...entries.map(([, p]) => p.notBefore));
        return void (await this.ctx.storage.setAlarm(wake));
      }
      const [key, pending] = due;
      const outcome = await executeRun(this.#deps, pending.runId, this.#session);
      this.#log.settle(pending.runId, outcome.kind === "skipped");
      if (outcome.kind === "retry" || outcome.kind === "busy") {
        kv.put(key, { ...pending, notBefore: outcome.kind === "retry" ? Date.now() + outcome.delayMs : outcome.untilMs });
      } else {
        kv.delete(key);
        kv.delete(`id:${pending.runId}`);
      }
    }
  }
}
