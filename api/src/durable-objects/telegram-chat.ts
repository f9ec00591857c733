import { DurableObject } from "cloudflare:workers";
import type { Update } from "grammy/types";
import { handleTelegramUpdate } from "../bot/telegram";
import type { AppEnv, TelegramChatRpc } from "../env";
import { services, type Services } from "../services";

const key = (updateId: number) => `update:${String(updateId).padStart(16, "0")}`;
const MAX_FAILURES = 5;
/** Updates read from the inbox at a time. */
const PAGE = 50;
/** The backstop alarm: an inbox this instance did not get through (it went away, or an update failed) is handled by then. */
const BACKSTOP_MS = 30_000;
/** After a failed update, the alarm tries again this soon (then with the alarm's own backoff). */
const RETRY_MS = 1_000;

/**
 * One per Telegram chat (`chat:<chatId>`): the webhook's inbox. `accept` stores the update in this
 * object's own storage and returns — that is all Telegram waits for, and it never queues behind D1.
 * The chat's updates are then handled one at a time, in update_id order (so "/agent 2" is applied
 * before the question that follows it), by this instance straight after it answered; an alarm is the
 * backstop for an instance that goes first, and retries an update that fails (5 tries, then it is
 * logged and dropped).
 */
export class TelegramChat extends DurableObject<AppEnv> implements TelegramChatRpc {
  readonly #svc: Services;
  /** The pass under way, so passes never overlap (order is the point). */
  #handling?: Promise<void>;

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
    // One alarm pending is backstop enough (a later one finds an empty inbox and ends): no write per message.
    if ((await this.ctx.storage.getAlarm()) === null) await this.ctx.storage.setAlarm(Date.now() + BACKSTOP_MS);
    // On the next turn of the event loop: a pass started inside this call held its answer, the
    // webhook's ack (p50 8 → 26 ms in `pnpm bench telegram`).
    setTimeout(() => this.#handle(), 0);
  }

  async alarm(): Promise<void> {
    while (this.#handling) await this.#handling;
    // Its own pass, registered so that an update accepted meanwhile joins it; a failure is thrown,
    // and the alarm is retried with its backoff.
    this.#handling = this.#pass().finally(() => (this.#handling = undefined));
    await this.#handling;
  }

  /** Starts a pass unless one is under way (it lists again for what came in meanwhile). */
  #handle() {
    this.#handling ??= this.#pass()
      .catch(async (e) => {
        console.error("telegram chat: an update failed, the alarm tries again:", e instanceof Error ? e.message : e);
        await this.ctx.storage.setAlarm(Date.now() + RETRY_MS);
      })
      .finally(() => (this.#handling = undefined));
  }

  async #pass(): Promise<void> {
    // Updates accepted while this runs are picked up by the next page (a fresh instance lists at least once).
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
