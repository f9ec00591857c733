// A small fake of Telegram's Bot API for tests, demos and benchmarks: `/bot<token>/<method>` answers
// like api.telegram.org (`{ ok, result }`, or `{ ok: false, error_code, description }`) and records
// every call. Never used by production code. Plus `update()`, which builds the Update JSON Telegram
// would POST to the webhook when a person writes to the bot.
//   GET  /__calls        what the bot called (method, token, params, time)
//   POST /__reset        forget them
//   GET  /chat?user=<id>&name=<first name>&username=<u>   a Telegram-like chat with the bot, on screen (demos):
//        what the person types is delivered to the webhook as Telegram would; the bot's replies appear as they come
//   GET  /__chat?user=<id>   that conversation as JSON;  POST /__send { user, name, username, text }  what the page sends
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

/** A person's side of an on-screen chat: what they sent, and when. */
interface Said {
  user: number;
  text: string;
  at: number;
}

/** `webhook`: where to deliver what a person types on the chat page when the bot never called setWebhook (demos). */
export async function startFakeTelegram(port = 0, initialWebhook = { url: "", secret: "" }): Promise<FakeTelegram> {
  const calls: BotCall[] = [];
  let webhook = initialWebhook;
  const said: Said[] = [];
  let messageId = 1000;

  const server: Server = createServer((req, res) => {
    void (async () => {
      const path = (req.url ?? "").split("?")[0]!;
      if (req.method === "GET" && path === "/__calls") return send(res, 200, calls);
      if (req.method === "POST" && path === "/__reset") {
        calls.length = 0;
        return send(res, 200, { ok: true });
      }
      const query = new URL(req.url ?? "/", "http://x").searchParams;
      if (req.method === "GET" && path === "/chat") {
        res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
        return res.end(CHAT_PAGE);
      }
      if (req.method === "GET" && path === "/__chat") {
        const user = Number(query.get("user"));
        const bot = calls
          .filter((c) => c.method === "sendMessage" && Number(c.params.chat_id) === user)
          .map((c) => ({ from: "bot", text: String(c.params.text), at: c.at }));
        const person = said.filter((m) => m.user === user).map((m) => ({ from: "person", text: m.text, at: m.at }));
        return send(
          res,
          200,
          [...person, ...bot].sort((a, b) => a.at - b.at),
        );
      }
      if (req.method === "POST" && path === "/__send") {
        const body = JSON.parse(await read(req)) as { user: number; name?: string; username?: string; text: string };
        if (!webhook.url) return fail(res, 409, "No webhook: start the fake with one, or let the bot call setWebhook");
        said.push({ user: body.user, text: body.text, at: Date.now() });
        const person: Person = {
          id: body.user,
          ...(body.name && { firstName: body.name }),
          ...(body.username && { username: body.username }),
        };
        const answer = await deliver(webhook.url, webhook.secret, update(person, body.text));
        return send(res, 200, { ok: answer.ok, status: answer.status });
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

/** The chat page: a person's Telegram conversation with the bot, close enough to read as one in a demo. */
const CHAT_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Telegram (local stand-in)</title>
<style>
  body { margin: 0; font: 15px/1.4 system-ui, sans-serif; background: #8fb3cf; display: flex; flex-direction: column; height: 100vh; }
  header { background: #517da2; color: #fff; padding: 12px 16px; font-weight: 600; }
  header small { display: block; font-weight: 400; opacity: .8; }
  #log { flex: 1; overflow-y: auto; padding: 16px; display: flex; flex-direction: column; gap: 8px; }
  .m { max-width: 70%; padding: 8px 12px; border-radius: 12px; white-space: pre-wrap; box-shadow: 0 1px 1px #0002; }
  .person { align-self: flex-end; background: #effdde; }
  .bot { align-self: flex-start; background: #fff; }
  form { display: flex; gap: 8px; padding: 10px; background: #fff; }
  input { flex: 1; padding: 10px; border: 1px solid #ccd; border-radius: 8px; font: inherit; }
  button { padding: 10px 16px; border: 0; border-radius: 8px; background: #517da2; color: #fff; font: inherit; }
</style></head>
<body>
<header>AutoClaw bot<small>Telegram, as a local stand-in: messages go to AutoClaw's webhook exactly as Telegram sends them</small></header>
<div id="log" data-testid="telegram-log" aria-live="polite"></div>
<form id="f"><input id="t" aria-label="Message" placeholder="Message" autocomplete="off"><button>Send</button></form>
<script type="module">
  const q = new URLSearchParams(location.search);
  const user = Number(q.get("user"));
  const log = document.getElementById("log");
  let shown = "";
  async function refresh() {
    const messages = await (await fetch("/__chat?user=" + user)).json();
    const key = JSON.stringify(messages);
    if (key === shown) return;
    shown = key;
    log.replaceChildren(...messages.map((m) => Object.assign(document.createElement("div"), { className: "m " + m.from, textContent: m.text })));
    log.scrollTop = log.scrollHeight;
  }
  document.getElementById("f").addEventListener("submit", async (e) => {
    e.preventDefault();
    const input = document.getElementById("t");
    const text = input.value.trim();
    if (!text) return;
    input.value = "";
    await fetch("/__send", { method: "POST", body: JSON.stringify({ user, name: q.get("name"), username: q.get("username"), text }) });
    refresh();
  });
  setInterval(refresh, 400);
  refresh();
</script>
</body></html>`;

// `node fakes/telegram.ts [port] [webhook url] [webhook secret]`: run it on its own (with TELEGRAM_API_ROOT pointing at it).
if (import.meta.url === `file://${process.argv[1]}`) {
  const [, , port, url = "", secret = ""] = process.argv;
  const fake = await startFakeTelegram(Number(port ?? 18998), { url, secret });
  console.log(
    `Fake Telegram Bot API at ${fake.url} (recorded calls: ${fake.url}/__calls; a chat on screen: ${fake.url}/chat?user=1&name=Ada)`,
  );
}
