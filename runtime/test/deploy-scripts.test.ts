// Deploy-time commands from the README, run as an operator would, against the local fakes.
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { promisify } from "node:util";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
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

describe("pnpm deploy:check", () => {
  const check = (args: string[], env: Record<string, string> = {}) =>
    run(process.execPath, [path.join(root, "scripts/deploy-check.ts"), ...args], { cwd: root, env: { PATH: process.env.PATH, ...env } })
      .then(({ stdout }) => ({ code: 0, stdout }))
      .catch((e: { code: number; stdout: string }) => ({ code: e.code, stdout: e.stdout }));
  /** The production wrangler.toml with some lines changed, in a temporary folder (its relative paths made absolute). */
  const variant = (edit: (toml: string) => string, dockerfile?: string) => {
    const dir = mkdtempSync(path.join(tmpdir(), "autoclaw-deploy-"));
    let toml = readFileSync(path.join(root, "wrangler.toml"), "utf8")
      .replace('main = "api/src/index.ts"', `main = "${root}/api/src/index.ts"`)
      .replace('migrations_dir = "drizzle"', `migrations_dir = "${root}/drizzle"`)
      .replace('image = "./runtime/Dockerfile"', `image = "${dockerfile ? path.join(dir, "Dockerfile") : `${root}/runtime/Dockerfile`}"`);
    if (dockerfile) writeFileSync(path.join(dir, "Dockerfile"), dockerfile);
    toml = edit(toml);
    writeFileSync(path.join(dir, "wrangler.toml"), toml);
    return path.join(dir, "wrangler.toml");
  };

  it("passes on the committed configuration, naming the secrets still to set", async () => {
    const { code, stdout } = await check(["--only", "settings", "--only", "image"]);
    expect(code).toBe(0);
    expect(stdout).toContain("secret BETTER_AUTH_SECRET is not set: `wrangler secret put BETTER_AUTH_SECRET`");
    expect(stdout).toContain('wrangler deploy --route "app.autoclaw.dev/trpc*" --route "app.autoclaw.dev/api/*"');
    expect(stdout).toContain("openclaw 2026.9.6 = runtime/package.json openclaw");
  });

  it("reports bad settings by name with the Worker's schema, and never prints a secret's value", async () => {
    const config = variant((t) =>
      t
        .replace('APP_URL = "https://app.autoclaw.dev"', 'APP_URL = "app.autoclaw.dev"')
        .replace('TENANT_RUNTIME = "sandbox"', 'TENANT_RUNTIME = "direct"')
        .replace("[vars]", '[vars]\nSTRIPE_SECRET_KEY = "sk_live_do-not-print-0123456789"'),
    );
    const { code, stdout } = await check(["--only", "settings", "--config", config, "--require-secrets"], {
      BETTER_AUTH_SECRET: "x".repeat(40),
      ENCRYPTION_KEY: "not-base64-do-not-print",
    });
    expect(code).toBe(1);
    expect(stdout).toContain("✗ STRIPE_SECRET_KEY is a secret written in plain text in [vars]");
    expect(stdout).toMatch(/✗ APP_URL .*URL/i);
    expect(stdout).toContain("✗ ENCRYPTION_KEY must be 32 bytes, base64-encoded");
    expect(stdout).toContain('✗ TENANT_RUNTIME is direct: production tenant runtimes are "sandbox" containers');
    expect(stdout).not.toContain("do-not-print");
    expect(stdout).toContain("deploy:check failed");

    const missing = await check(["--only", "settings", "--require-secrets"]);
    expect(missing.code).toBe(1);
    expect(missing.stdout).toContain("✗ secret ENCRYPTION_KEY is not set");
  });

  it("fails when the runtime image's pins drift from the packages", async () => {
    const dockerfile = readFileSync(path.join(root, "runtime/Dockerfile"), "utf8").replace(/openclaw@\S+/, "openclaw@2026.1.1");
    const { code, stdout } = await check(["--only", "image", "--config", variant((t) => t, dockerfile)]);
    expect(code).toBe(1);
    expect(stdout).toMatch(/✗ openclaw is 2026\.1\.1 in .*, but runtime\/package\.json openclaw is 2026\.9\.6/);
  });
});
