// Bindings and settings, typed once. Everything else takes `AppEnv` and calls `settings(env)`.
import { parseSettings, type Settings } from "./config";
import type { AgentSession } from "./durable-objects/agent-session";
import type { TelegramChat } from "./durable-objects/telegram-chat";
import type { RunMessage } from "./domain/run-records";

export interface Bindings {
  DB: D1Database;
  ARTIFACTS: R2Bucket;
  RUN_QUEUE: Queue<RunMessage>;
  AGENT_SESSION: DurableObjectNamespace<AgentSession>;
  TELEGRAM_CHAT: DurableObjectNamespace<TelegramChat>;
  Sandbox: DurableObjectNamespace;
}

/** What the Worker receives: bindings plus string vars/secrets, validated by `settings()`. */
export type AppEnv = Bindings & Record<string, unknown>;

const parsed = new WeakMap<object, Settings>();

/** The parsed settings for this env object (parsed on first use, then cached for the isolate). */
export function settings(env: AppEnv): Settings {
  let s = parsed.get(env);
  if (!s) {
    s = parseSettings(env);
    parsed.set(env, s);
  }
  return s;
}

/** The Telegram webhook's inbox for one chat. */
export function telegramChat(env: AppEnv, chatId: number) {
  return env.TELEGRAM_CHAT.get(env.TELEGRAM_CHAT.idFromName(`chat:${chatId}`));
}

/** The Durable Object that serialises one agent's turns. */
export function agentSession(env: AppEnv, tenantId: string, agentId: string) {
  return env.AGENT_SESSION.get(env.AGENT_SESSION.idFromName(`tenant:${tenantId}:agent:${agentId}`));
}
