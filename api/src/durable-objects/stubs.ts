// The one address book of the Worker's Durable Objects: how each is named, and its typed stub.
import type { AppEnv } from "../env";

/** The Durable Object that serialises one agent's turns. */
export const agentSession = (env: AppEnv, tenantId: string, agentId: string) =>
  env.AGENT_SESSION.getByName(`tenant:${tenantId}:agent:${agentId}`);

/** The Telegram webhook's inbox for one chat. */
export const telegramChat = (env: AppEnv, chatId: number) => env.TELEGRAM_CHAT.getByName(`chat:${chatId}`);
