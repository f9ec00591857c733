import { DurableObject } from "cloudflare:workers";
import { runDeps } from "../deps";
import { agentInstructions } from "../domain/agents";
import { executeRun, type RunOutcome, type SessionCache } from "../domain/runs";
import type { AppEnv } from "../env";

/**
 * One per agent (`tenant:<tenantId>:agent:<agentId>`): runs that agent's turns one at a time.
 * A Durable Object handles calls concurrently while one awaits I/O, so turns are chained explicitly.
 */
export class AgentSession extends DurableObject<AppEnv> {
  #tail: Promise<unknown> = Promise.resolve();
  /** The agent's persona files, read from R2 once per instance (they are fixed when the agent is made). */
  #persona?: Promise<string>;
  readonly #loadPersona = (tenantId: string, agentId: string) => {
    this.#persona ??= agentInstructions(this.env.ARTIFACTS, tenantId, agentId).catch((e) => {
      this.#persona = undefined;
      throw e;
    });
    return this.#persona;
  };

  /** What this agent's turns reuse: its persona, and its workspace manifest as last written to R2. */
  readonly #session: SessionCache = { persona: this.#loadPersona };

  execute(runId: string): Promise<RunOutcome> {
    const turn = this.#tail.then(() => executeRun(runDeps(this.env), runId, this.#session));
    this.#tail = turn.catch(() => undefined);
    return turn;
  }

  /**
   * A new run straight from the request that created it: chained like any turn, without the caller
   * waiting for it. Its queue message arrives later as the backstop (a retry, or nothing to do).
   */
  start(runId: string): void {
    this.execute(runId).catch((e) => console.error(`run ${runId} failed to execute, the queue will retry it:`, e instanceof Error ? e.message : e));
  }
}
