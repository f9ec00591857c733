import { DurableObject } from "cloudflare:workers";
import type { Update } from "grammy/types";
import { handleTelegramUpdate } from "../bot/telegram";
import type { AppEnv, TelegramChatRpc } from "../env";
import { services, type Services } from "../services";

const key = (updateId: number) => `update:${String(updateId).padStart(16, "0")}`;
const MAX_FAILURES = 5;
/** Updates read from the inbox at a time. */
const PAGE = 50;

/**
 * One per Telegram chat (`chat:<chatId>`): the webhook's inbox. `accept` stores the update in this
 * object's own storage and returns — that is all Telegram waits for, and it never queues behind D1.
 * An alarm then handles the chat's updates one at a time, in update_id order (so "/agent 2" is
 * applied before the question that follows it); an update that fails stays and the alarm retries it
 * (5 tries, then it is logged and dropped).
 */
export class TelegramChat extends DurableObject<AppEnv> implements TelegramChatRpc {
  readonly #svc: Services;

  constructor(ctx: DurableObjectState, env: AppEnv) {
    super(ctx, env);
    this.#svc = services(env);
  }

  /** Updates this instance accepted: a pass lists the inbox again only if one came in meanwhile. */
  #accepted = 0;

  async accept(update: Update): Promise<void> {
    // Synchronous storage (SQLite in this object): durable once this call returns (output gate).
    this.ctx.storage.kv.put(key(update.update_id), update);
    this.#accepted++;
    await this.ctx.storage.setAlarm(Date.now());
  }

  async alarm(): Promise<void> {
    // Updates accepted while this runs are picked up by the next pass (a fresh instance lists at least once).
    for (let seen = this.#accepted, pending = this.#pending(); pending.size; seen = this.#accepted, pending = this.#pending()) {
      for (const [k, update] of pending) {
        try {
          await handleTelegramUpdate(this.#svc, update);
        } catch (e) {
          // Retried with the alarm's backoff; an update that keeps failing must not block the chat forever.
          const failures = (this.ctx.storage.kv.get<number>(`failures:${k}`) ?? 0) + 1;
          if (failures < MAX_FAILURES) {
            this.ctx.storage.kv.put(`failures:${k}`, failures);
            throw e;
          }
          console.error(`telegram update ${update.update_id} dropped after ${failures} failures:`, e instanceof Error ? e.message : e);
        }
        this.ctx.storage.kv.delete(k);
        this.ctx.storage.kv.delete(`failures:${k}`);
      }
      if (pending.size < PAGE && this.#accepted === seen) return;
    }
  }

  #pending() {
    return new Map(this.ctx.storage.kv.list<Update>({ prefix: "update:", limit: PAGE }));
  }
}
