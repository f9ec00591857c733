// Deploy-time commands from the README, run as an operator would, against the local fakes.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { startFakeTelegram, type FakeTelegram } from "../../fakes/telegram";

const root = path.resolve(import.meta.dirname, "..", "..");
// Async: the fake answers from this same process, so a synchronous child would deadlock it.
const run = promisify(execFile);
let telegram: FakeTelegram;
beforeAll(async () => {
  telegram = await startFakeTelegram();
});
afterAll(() => telegram?.close());

it("pnpm telegram:webhook sets the webhook with the secret token, only message updates, and the command menu", async () => {
  const token = "123456789:deploy-token-abcdefghijklmnopqrstuvwxyz";
  const { stdout: out } = await run(process.execPath, [path.join(root, "scripts/telegram-webhook.ts"), "https://autoclaw.example.com"], {
    env: {
      PATH: process.env.PATH,
      TELEGRAM_BOT_TOKEN: token,
      TELEGRAM_WEBHOOK_SECRET: "deploy-secret-0123456789",
      TELEGRAM_API_ROOT: telegram.url,
    },
  });
  expect(out).toContain("Webhook set to https://autoclaw.example.com/api/webhooks/telegram");
  const set = telegram.calls.find((c) => c.method === "setWebhook")!;
  expect(set.token).toBe(token);
  expect(set.params).toMatchObject({
    url: "https://autoclaw.example.com/api/webhooks/telegram",
    secret_token: "deploy-secret-0123456789",
    allowed_updates: ["message"],
  });
  expect(telegram.calls.find((c) => c.method === "setMyCommands")!.params.commands.map((c: { command: string }) => c.command)).toEqual([
    "help",
    "status",
    "agent",
    "skills",
    "unpair",
  ]);
});

it("refuses to run without the token and secret", async () => {
  await expect(
    run(process.execPath, [path.join(root, "scripts/telegram-webhook.ts"), "https://x.example.com"], { env: { PATH: process.env.PATH } }),
  ).rejects.toThrow(/usage/);
});
