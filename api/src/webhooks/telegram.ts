// POST /api/webhooks/telegram: the shared bot's ingress. It only accepts; the bot (bot/telegram.ts)
// handles each update later in its chat's TelegramChat.
import { Bot, webhookCallback } from "grammy";
import { z } from "zod";
import { botInfo } from "../bot/telegram";
import { timingSafeEqualText } from "../domain/crypto";
import { telegramConfig } from "../domain/telegram";
import { telegramChat } from "../durable-objects/stubs";
import type { AppEnv } from "../env";
import type { Services } from "../services";

/** Just enough of an Update to refuse garbage with a 400 before grammy sees it. */
const updateShape = z.object({ update_id: z.number().int().nonnegative() }).passthrough();

const ingress = new WeakMap<Services, (req: Request) => Promise<Response>>();

/**
 * POST /api/webhooks/telegram. Telegram waits for this answer before it sends more, so it only
 * accepts: grammy's webhookCallback checks the secret token and hands over the update, which goes
 * to its chat's TelegramChat inbox (durable, ordered, retried); the update_id is then recorded in D1
 * when the update is handled, and a repeat does nothing.
 */
export async function telegramWebhook(req: Request, env: AppEnv, svc: Services): Promise<Response> {
  const cfg = telegramConfig(svc.settings);
  if (!cfg.enabled) return Response.json({ error: "Telegram is not configured on this AutoClaw" }, { status: 404 });
  if (req.method !== "POST") return Response.json({ error: "Use POST" }, { status: 405 });
  // Checked here too (constant time) so a forged request never reaches parsing or storage.
  if (!timingSafeEqualText(req.headers.get("x-telegram-bot-api-secret-token") ?? "", cfg.secret!))
    return Response.json({ error: "Wrong secret token" }, { status: 401 });
  let update: unknown;
  try {
    update = updateShape.parse(await req.clone().json());
  } catch {
    return Response.json({ error: "The body is not a Telegram Update" }, { status: 400 });
  }
  let handle = ingress.get(svc);
  if (!handle) {
    const bot = new Bot(cfg.token!, { botInfo: botInfo(cfg.token!, cfg.username!) });
    bot.use((ctx) => telegramChat(env, ctx.chat?.id ?? ctx.from?.id ?? 0).accept(ctx.update));
    handle = webhookCallback(bot, "cloudflare-mod", { secretToken: cfg.secret });
    ingress.set(svc, handle);
  }
  return handle(new Request(req.url, { method: "POST", headers: req.headers, body: JSON.stringify(update) }));
}
