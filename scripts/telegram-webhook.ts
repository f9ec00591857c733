// Deploy-time: points the shared bot's webhook at AutoClaw and sets its command menu.
//   TELEGRAM_BOT_TOKEN=… TELEGRAM_WEBHOOK_SECRET=… pnpm telegram:webhook https://app.example.com
// (TELEGRAM_API_ROOT, if set, names another Bot API server.) Prints what Telegram then reports.
import { Api } from "grammy";

const [base] = process.argv.slice(2).filter((a) => a !== "--");
const token = process.env.TELEGRAM_BOT_TOKEN;
const secret = process.env.TELEGRAM_WEBHOOK_SECRET;
if (!base || !token || !secret) {
  console.error("usage: TELEGRAM_BOT_TOKEN=… TELEGRAM_WEBHOOK_SECRET=… pnpm telegram:webhook <public https URL of AutoClaw>");
  process.exit(2);
}
const url = new URL("/api/webhooks/telegram", base).toString();
const api = new Api(token, process.env.TELEGRAM_API_ROOT ? { apiRoot: process.env.TELEGRAM_API_ROOT } : undefined);

// Only messages: the bot reads nothing else, so Telegram need not send anything else.
await api.setWebhook(url, { secret_token: secret, allowed_updates: ["message"], max_connections: 40 });
await api.setMyCommands([
  { command: "help", description: "What I can do" },
  { command: "status", description: "Your team, agent, runtime and plan" },
  { command: "agent", description: "List or switch the agent that answers you" },
  { command: "skills", description: "What your agent can use" },
  { command: "unpair", description: "Disconnect this Telegram account" },
]);
const info = await api.getWebhookInfo();
console.log(`Webhook set to ${url} (Telegram reports: ${info.url || "no url"}, ${info.pending_update_count} pending updates)`);
