// A small fake of Telegram's Bot API for tests, demos and benchmarks: `/bot<token>/<method>` answers
// like api.telegram.org (`{ ok, result }`, or `{ ok: false, error_code, description }`) and records
// every call. Never used by production code. Plus `update()`, which builds the Update JSON Telegram
// would POST to the webhook when a person writes to the bot.
//   GET  /__calls        what the bot called (method, token, params, time)
//   POST /__reset        forget them
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { listen, read, send } from "./listen.ts";
import type { Update } from "grammy/types";

export interface BotCall {
  method: string;
  token: string;
  params: Record<string, any>;
  at: number;
}

export interface FakeTelegram {
  url: string;
  calls: BotCall[];
  /** Texts the bot sent to one chat, in order. */
  sentTo(chatId: number): string[];
  close(): Promise<void>;
}

const MAX_TEXT = 4096;

async function readParams(req: IncomingMessage): Promise<Record<string, any>> {
  const raw = await read(req);
  if (!raw) return {};
  if ((req.headers["content-type"] ?? "").includes("application/json")) return JSON.parse(raw);
  return Object.fromEntries(new URLSearchParams(raw));
}

const fail = (res: ServerResponse, code: number, description: string) => send(res, code, { ok: false, error_code: code, description });

export async function startFakeTelegram(port = 0): Promise<FakeTelegram> {
  const calls: BotCall[] = [];
  let messageId = 1000;
  let webhook = { url: "", secret: "" };

  const server: Server = createServer((req, res) => {
    void (async () => {
      const path = (req.url ?? "").split("?")[0]!;
      if (req.method === "GET" && path === "/__calls") return send(res, 200, calls);
      if (req.method === "POST" && path === "/__reset") {
        calls.length = 0;
        return send(res, 200, { ok: true });
      }
      const m = path.match(/^\/bot(\d+:[\w-]+)\/(\w+)$/);
      if (!m) return fail(res, 404, "Not Found");
      const [, token, method] = m as unknown as [string, string, string];
      const params = await readParams(req);
      calls.push({ method, token, params, at: Date.now() });
      switch (method) {
        case "getMe":
          return send(res, 200, {
            ok: true,
            result: { id: Number(token.split(":")[0]), is_bot: true, first_name: "AutoClaw", username: "autoclaw_test_bot" },
          });
        case "sendMessage": {
          const text = String(params.text ?? "");
          if (!text.trim()) return fail(res, 400, "Bad Request: message text is empty");
          if (text.length > MAX_TEXT) return fail(res, 400, "Bad Request: message is too long");
          return send(res, 200, {
            ok: true,
            result: {
              message_id: messageId++,
              date: Math.floor(Date.now() / 1000),
              chat: { id: Number(params.chat_id), type: "private" },
              text,
            },
          });
        }
        case "setWebhook":
          if (!/^https?:\/\//.test(String(params.url ?? "")))
            return fail(res, 400, "Bad Request: bad webhook: An HTTPS URL must be provided for webhook");
          webhook = { url: String(params.url), secret: String(params.secret_token ?? "") };
          return send(res, 200, { ok: true, result: true, description: "Webhook was set" });
        case "sendChatAction":
        case "deleteWebhook":
        case "setMyCommands":
          return send(res, 200, { ok: true, result: true });
        case "getWebhookInfo":
          return send(res, 200, { ok: true, result: { url: webhook.url, has_custom_certificate: false, pending_update_count: 0 } });
        default:
          return fail(res, 404, "Not Found: method not found");
      }
    })().catch((e) => fail(res, 500, String(e)));
  });
  const { url, close } = await listen(server, port);
  return {
    url,
    calls,
    sentTo: (chatId) =>
      calls.filter((c) => c.method === "sendMessage" && Number(c.params.chat_id) === chatId).map((c) => String(c.params.text)),
    close,
  };
}

export interface Person {
  id: number;
  firstName?: string;
  username?: string;
}

let nextUpdateId = Math.floor(Date.now() / 1000) * 1000;

/** The Update Telegram sends when `from` writes `text` (commands get their bot_command entity). */
export function update(from: Person, text: string, opts: { updateId?: number; chat?: "private" | "group" } = {}): Update {
  const chatType = opts.chat ?? "private";
  const command = text.match(/^\/\w+/);
  const firstName = from.firstName ?? "Ada";
  return {
    update_id: opts.updateId ?? nextUpdateId++,
    message: {
      message_id: nextUpdateId,
      date: Math.floor(Date.now() / 1000),
      chat:
        chatType === "private"
          ? { id: from.id, type: "private", first_name: firstName, ...(from.username && { username: from.username }) }
          : { id: -from.id, type: "group", title: "A group" },
      from: { id: from.id, is_bot: false, first_name: firstName, ...(from.username && { username: from.username }) },
      text,
      ...(command && { entities: [{ type: "bot_command", offset: 0, length: command[0].length }] }),
    },
  } as Update;
}

/** POSTs an update to AutoClaw's webhook the way Telegram does. */
export function deliver(webhookUrl: string, secret: string, body: Update, fetcher: typeof fetch = fetch): Promise<Response> {
  return fetcher(webhookUrl, {
    method: "POST",
    headers: { "content-type": "application/json", "x-telegram-bot-api-secret-token": secret },
    body: JSON.stringify(body),
  });
}

// `node fakes/telegram.ts [port]`: run it on its own (with TELEGRAM_API_ROOT pointing at it).
if (import.meta.url === `file://${process.argv[1]}`) {
  const fake = await startFakeTelegram(Number(process.argv[2] ?? 18998));
  console.log(`Fake Telegram Bot API at ${fake.url} (recorded calls: ${fake.url}/__calls)`);
}
