// The Worker's bindings (wrangler.toml), typed once, and the RPC surface of its Durable Objects.
// Types only: settings are parsed in config.ts, stubs are made in durable-objects/stubs.ts, and the
// services built from all of this in services.ts. Nothing here imports a Durable Object class, so no
// import cycle runs through the bindings.
import type { Sandbox } from "@cloudflare/sandbox";
import type { LiveRunEventBody, RunMessage, ScheduleFiringMessage } from "@autoclaw/shared";
import type { Update } from "grammy/types";

/** What an agent's AgentSession answers over RPC (the class implements it). */
export interface AgentSessionRpc extends Rpc.DurableObjectBranded {
  /** Answers once the run is in the inbox; with `waitMs`, once its events have ended (true) or the wait ran out (false). */
  enqueue(runId: string, waitMs?: number): Promise<boolean>;
  cancel(runId: string): Promise<void>;
  events(runId: string, after: number, fallback?: LiveRunEventBody[]): ReadableStream<Uint8Array>;
  toolCalled(name: string, summary: string): Promise<void>;
}

/** What a chat's TelegramChat answers over RPC (the class implements it). */
export interface TelegramChatRpc extends Rpc.DurableObjectBranded {
  accept(update: Update): Promise<void>;
}

export interface Bindings {
  DB: D1Database;
  ARTIFACTS: R2Bucket;
  RUN_QUEUE: Queue<RunMessage>;
  SCHEDULE_QUEUE: Queue<ScheduleFiringMessage>;
  AGENT_SESSION: DurableObjectNamespace<AgentSessionRpc>;
  TELEGRAM_CHAT: DurableObjectNamespace<TelegramChatRpc>;
  Sandbox: DurableObjectNamespace<Sandbox>;
}

/** What the Worker receives: bindings plus string vars/secrets, validated by `settings()` (config.ts). */
export type AppEnv = Bindings & Record<string, unknown>;
