import { DurableObject } from "cloudflare:workers";
import { runDeps } from "../deps";
import { executeRun, type RunOutcome } from "../domain/runs";
import type { AppEnv } from "../env";

/**
 * One per agent (`tenant:<tenantId>:agent:<agentId>`): runs that agent's turns one at a time.
 * A Durable Object handles calls concurrently while one awaits I/O, so turns are chained explicitly.
 */
export class AgentSession extends DurableObject<AppEnv> {
  #tail: Promise<unknown> = Promise.resolve();

  execute(runId: string): Promise<RunOutcome> {
    const turn = this.#tail.then(() => executeRun(runDeps(this.env), runId));
    this.#tail = turn.catch(() => undefined);
    return turn;
  }
}
