// POST /api/webhooks/telegram: the shared bot's ingress. It only accepts; the bot (bot/telegram.ts)
// handles each update later in its chat's TelegramChat.
import { Context } from "grammy";
import type { Update } from "grammy/types";
import { z } from "zod";
import { botInfo } from "../bot/telegram";
import { timingSafeEqualText } from "../domain/crypto";
import { telegramConfig } from "../domain/telegram";
import { telegramChat } from "../durable-objects/stubs";
import type { AppEnv } from "../env";
import type { Services } from "../services";

/** Just enough of an Update to refuse garbage with a 400 before grammy sees it. */
const updateShape = z.object({ update_id: z.number().int().nonnegative() }).passthrough();

/**
 * POST /api/webhooks/telegram. Telegram waits for this answer before it sends more, so it only
 * accepts: the secret token checked (constant time), the update goes to its chat's TelegramChat inbox
 * (durable, ordered, retried); the update_id is then recorded in D1 when the update is handled, and a
 * repeat does nothing. The chat is found by grammy's own Context (every update kind), without
 * grammy's webhook adapter: that would parse the body a second time and run the bot's middleware for
 * a message that is only being stored.
 */
export async function telegramWebhook(req: Request, env: AppEnv, svc: Services): Promise<Response> {
  const cfg = telegramConfig(svc.settings);
  if (!cfg.enabled) return Response.json({ error: "Telegram is not configured on this AutoClaw" }, { status: 404 });
  if (req.method !== "POST") return Response.json({ error: "Use POST" }, { status: 405 });
  // Checked before anything is parsed or stored, so a forged request reaches neither.
  if (!timingSafeEqualText(req.headers.get("x-telegram-bot-api-secret-token") ?? "", cfg.secret!))
    return Response.json({ error: "Wrong secret token" }, { status: 401 });
  let update: Update;
  try {
    update = updateShape.parse(await req.json()) as Update;
  } catch {
    return Response.json({ error: "The body is not a Telegram Update" }, { status: 400 });
  }
  const ctx = new Context(update, svc.telegram!.api, botInfo(cfg.token!, cfg.username!));
  await telegramChat(env, ctx.chat?.id ?? ctx.from?.id ?? 0).accept(update);
  return new Response(null, { status: 200 });
}
