// The one shared bot, with grammy. The webhook (webhooks/telegram.ts) only accepts updates into each
// chat's TelegramChat inbox; this bot then handles them one at a time there: it answers commands and
// turns a paired user's message into a run whose reply is sent when the run ends. Rules live in
// domain/telegram.ts; this file is wiring.
import { Bot, type Context } from "grammy";
import type { Update, UserFromGetMe } from "grammy/types";
import { telegramSeats } from "../domain/entitlements";
import { DomainError } from "../domain/errors";
import { schedulesForTelegram, toggleTelegramSubscription } from "../domain/schedules";
import { beginUpdate, markUpdateHandled, telegramConfig } from "../domain/telegram";
import {
  agentNamed,
  beginMessage,
  chooseAgent,
  conversationOf,
  skillsText,
  startTelegramRun,
  statusText,
  unpairSelf,
  type Conversation,
} from "../domain/telegram-conversations";
import { PAIR_WINDOW_MS, redeemPairingCode, type TelegramPerson } from "../domain/telegram-pairing";
import type { Services } from "../services";

const HELP = [
  "Commands:",
  "/help — this list",
  "/status — your team, agent, runtime and plan",
  "/agent — list your team's agents; /agent <number> switches who answers you",
  "/skills — what your agent can use",
  "/schedules — your team's schedules; /schedules <number> sends you (or stops sending) one's replies here",
  "/unpair — disconnect this Telegram account from your team",
  "",
  "Anything else you write goes to your agent.",
].join("\n");

const UNPAIRED = [
  "Hi! I am AutoClaw's bot. To talk to your team's agents here, pair this Telegram account first:",
  "open AutoClaw → Telegram → Pair Telegram, then tap the link or send me /pair <code>.",
].join("\n");

function person(ctx: Context): TelegramPerson | undefined {
  const from = ctx.from;
  if (!from || !ctx.chat) return undefined;
  return {
    id: from.id,
    chatId: ctx.chat.id,
    name: [from.first_name, from.last_name].filter(Boolean).join(" ") || "Telegram user",
    username: from.username,
  };
}

function agentList(conv: Conversation): string {
  if (!conv.agents.length) return "Your team has no agents yet: create one in AutoClaw.";
  return conv.agents.map((a, i) => `${i + 1}. ${a.name}${a.id === conv.agent?.id ? "  ← answers you" : ""}`).join("\n");
}

type TelegramSchedule = Awaited<ReturnType<typeof schedulesForTelegram>>[number];

function scheduleList(conv: Conversation, list: TelegramSchedule[]): string {
  if (!list.length) return "Your team has no schedules yet: add one on an agent's page in AutoClaw.";
  const agentName = (id: string) => conv.agents.find((a) => a.id === id)?.name ?? "a removed agent";
  const when = (s: TelegramSchedule) =>
    s.next
      ? `next ${new Intl.DateTimeFormat("en-GB", { timeZone: s.timezone, weekday: "short", day: "numeric", month: "short", hour: "2-digit", minute: "2-digit" }).format(s.next)} (${s.timezone})`
      : "paused";
  return list.map((s, i) => `${i + 1}. ${agentName(s.agentId)}: ${s.description}, ${when(s)}${s.mine ? "  ✓ sent to you" : ""}`).join("\n");
}

/** The bot's identity from the settings: no getMe round trip before the first update. */
export const botInfo = (token: string, username: string) =>
  ({ id: Number(token.split(":")[0]), is_bot: true, first_name: "AutoClaw", username }) as UserFromGetMe;

function createBot(svc: Services, token: string, username: string, apiRoot?: string): Bot {
  const bot = new Bot(token, { botInfo: botInfo(token, username), ...(apiRoot && { client: { apiRoot } }) });
  const { db } = svc;

  bot
    .chatType(["group", "supergroup"])
    .on("message", (ctx) => ctx.reply("I only talk in direct messages: open a chat with me to reach your team's agents."));

  const dm = bot.chatType("private");
  const pair = async (ctx: Context, code: string) => {
    const who = person(ctx)!;
    if (!code) {
      const conv = await conversationOf(db, who.id);
      return ctx.reply(
        conv ? `You are paired with ${conv.tenantName}. Write to talk to ${conv.agent?.name ?? "your agent"}.\n\n${HELP}` : UNPAIRED,
      );
    }
    const r = await redeemPairingCode(db, who, code, telegramSeats(svc, who.id));
    if (r.ok)
      return ctx.reply(
        `Paired with ${r.tenantName}${r.movedFrom ? ` (no longer with ${r.movedFrom})` : ""}. Write anything to talk to your team's agent.\n\n${HELP}`,
      );
    if (r.reason === "no-seat") return ctx.reply(r.message);
    if (r.reason === "rate-limited")
      return ctx.reply(`Too many wrong codes. Try again in ${r.retryInMinutes} minute${r.retryInMinutes === 1 ? "" : "s"}.`);
    const why = { unknown: "That code is not valid", expired: "That code has expired", used: "That code was already used" }[r.reason];
    return ctx.reply(
      `${why}. Create a new one in AutoClaw → Telegram (codes work once, for an hour). ${r.attemptsLeft} more attempt${r.attemptsLeft === 1 ? "" : "s"} allowed in the next ${PAIR_WINDOW_MS / 60_000} minutes.`,
    );
  };
  dm.command("start", (ctx) => pair(ctx, ctx.match));
  dm.command("pair", (ctx) => pair(ctx, ctx.match));

  // Everything below needs a paired user.
  const paired = dm.filter(async (ctx) => {
    const conv = prefetched.has(ctx.update) ? prefetched.get(ctx.update) : await conversationOf(db, ctx.from.id);
    if (!conv) await ctx.reply(UNPAIRED);
    else (ctx as Context & { conv?: Conversation }).conv = conv;
    return !!conv;
  });
  const convOf = (ctx: Context) => (ctx as Context & { conv: Conversation }).conv;

  paired.command("help", (ctx) => ctx.reply(HELP));
  paired.command("status", async (ctx) => ctx.reply(await statusText(svc, convOf(ctx))));
  paired.command("skills", async (ctx) => ctx.reply(await skillsText(svc, convOf(ctx))));
  paired.command("agent", async (ctx) => {
    const conv = convOf(ctx);
    const arg = ctx.match.trim();
    if (!arg) return ctx.reply(`${agentList(conv)}\n\nSend /agent <number> to switch.`);
    const chosen = agentNamed(conv, arg);
    if (!chosen) return ctx.reply(`No agent "${arg}".\n\n${agentList(conv)}`);
    await chooseAgent(db, conv.pairing.telegramUserId, chosen.id);
    return ctx.reply(`${chosen.name} answers you now.`);
  });
  paired.command("schedules", async (ctx) => {
    const conv = convOf(ctx);
    const list = await schedulesForTelegram(db, conv.pairing.tenantId, conv.pairing.telegramUserId);
    const arg = ctx.match.trim();
    if (!arg)
      return ctx.reply(
        `${scheduleList(conv, list)}${list.length ? "\n\nSend /schedules <number> to get one's replies here (again to stop)." : ""}`,
      );
    const chosen = /^\d+$/.test(arg) ? list[Number(arg) - 1] : undefined;
    if (!chosen) return ctx.reply(`No schedule ${arg}.\n\n${scheduleList(conv, list)}`);
    const on = await toggleTelegramSubscription(db, conv.pairing.telegramUserId, chosen.id);
    return ctx.reply(
      on ? `You will get its replies here: ${chosen.description}.` : `You will no longer get its replies: ${chosen.description}.`,
    );
  });
  paired.command("unpair", async (ctx) => {
    const conv = convOf(ctx);
    await unpairSelf(db, conv, ctx.from!);
    return ctx.reply(`Unpaired from ${conv.tenantName}. Pair again any time with a new code.`);
  });
  paired.on("message:text", async (ctx) => {
    if (ctx.message.text.startsWith("/")) return ctx.reply(`I do not know that command.\n\n${HELP}`);
    try {
      await startTelegramRun(svc, convOf(ctx), ctx.message.text, ctx.update.update_id);
      markedWithRun.add(ctx.update);
    } catch (e) {
      if (!(e instanceof DomainError)) throw e;
      return ctx.reply(e.message);
    }
  });
  paired.on("message", (ctx) => ctx.reply("I can only read text messages for now."));
  return bot;
}

const bots = new WeakMap<Services, Bot>();
function fullBot(svc: Services): Bot {
  let bot = bots.get(svc);
  if (!bot) {
    const cfg = telegramConfig(svc.settings);
    bot = createBot(svc, cfg.token!, cfg.username!, cfg.apiRoot);
    bots.set(svc, bot);
  }
  return bot;
}

/** A direct message's sender as read with its update's record (beginMessage), for the bot's `paired` filter. */
const prefetched = new WeakMap<Update, Conversation | undefined>();
/** Updates whose run's batch marked them handled. */
const markedWithRun = new WeakSet<Update>();

/** Handles one update with the full bot (called by its chat's TelegramChat, one at a time). */
export async function handleTelegramUpdate(svc: Services, update: Update): Promise<void> {
  if (!telegramConfig(svc.settings).enabled) return;
  const sender = update.message?.chat.type === "private" ? update.message.from?.id : undefined;
  if (sender === undefined) {
    if (!(await beginUpdate(svc.db, update))) return;
  } else {
    const { isNew, conversation } = await beginMessage(svc.db, update, sender);
    if (!isNew) return;
    prefetched.set(update, conversation);
  }
  await fullBot(svc).handleUpdate(update);
  if (!markedWithRun.has(update)) await markUpdateHandled(svc.db, update.update_id);
}
