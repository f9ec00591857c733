import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import { defineConfig } from "@playwright/test";
import { API_URL, PORT, SPA_PORT, STRIPE, TELEGRAM } from "./settings";

// The suite drives Debian's Chromium against the whole product started by the README's run command
// (scripts/dev.ts) on its own ports and a fresh state directory, so it never touches a developer's data.
const stateDir = process.env.E2E_STATE_DIR ?? mkdtempSync(path.join(tmpdir(), "autoclaw-e2e-"));
// The specs read the local mail outbox ($AUTOCLAW_STATE_DIR/mail/) as a person reads their inbox.
process.env.E2E_STATE_DIR = stateDir;
const root = path.resolve(import.meta.dirname, "..");

// The demos record video, which Playwright encodes with its own ffmpeg build; it cannot download that here, so the
// same encoder comes from npm (@ffmpeg-installer/linux-x64) and is put where Playwright looks, inside .autoclaw/.
// Chromium is Debian's (executablePath below), so this folder holds nothing else.
process.env.PLAYWRIGHT_BROWSERS_PATH ??= path.join(root, ".autoclaw/playwright");
{
  const from = (base: string, pkg: string) => createRequire(base).resolve(`${pkg}/package.json`);
  const core = from(from(from(import.meta.url, "@playwright/test"), "playwright"), "playwright-core");
  const { browsers } = JSON.parse(readFileSync(path.join(path.dirname(core), "browsers.json"), "utf8")) as {
    browsers: { name: string; revision: string }[];
  };
  const revision = browsers.find((b) => b.name === "ffmpeg")!.revision;
  const target = path.join(process.env.PLAYWRIGHT_BROWSERS_PATH, `ffmpeg-${revision}`, "ffmpeg-linux");
  if (!existsSync(target)) {
    mkdirSync(path.dirname(target), { recursive: true });
    copyFileSync(createRequire(import.meta.url).resolve("@ffmpeg-installer/linux-x64/ffmpeg"), target);
  }
}

export default defineConfig({
  outputDir: "test-results",
  // The checks, and the demos (scripted walkthroughs that record videos: e2e/demos/, `pnpm demo [name]`).
  projects: [
    { name: "e2e", testDir: "tests" },
    { name: "demos", testDir: "demos", timeout: 360_000 },
  ],
  timeout: 60_000,
  expect: { timeout: 10_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: [["list"]],
  use: {
    baseURL: `http://127.0.0.1:${SPA_PORT}`,
    browserName: "chromium",
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-quic",
        "--no-first-run",
      ],
    },
    viewport: { width: 1360, height: 860 },
    trace: "retain-on-failure",
    screenshot: "only-on-failure",
  },
  webServer: [
    {
      // The chat page (demos) delivers what a person types to the stack's webhook, as Telegram would.
      command: `node ${path.join(root, "fakes/telegram.ts")} ${TELEGRAM.port} ${API_URL}/api/webhooks/telegram ${TELEGRAM.secret}`,
      cwd: root,
      url: `http://127.0.0.1:${TELEGRAM.port}/__calls`,
      reuseExistingServer: false,
      stdout: "ignore",
    },
    {
      command: `node ${path.join(root, "fakes/stripe.ts")} ${STRIPE.port} ${API_URL}/api/webhooks/stripe ${STRIPE.webhookSecret}`,
      cwd: root,
      url: `http://127.0.0.1:${STRIPE.port}/__requests`,
      reuseExistingServer: false,
      stdout: "ignore",
    },
    {
      command: `node ${path.join(root, "scripts/dev.ts")}`,
      cwd: root,
      url: `http://127.0.0.1:${SPA_PORT}`,
      timeout: 120_000,
      reuseExistingServer: false,
      stdout: process.env.E2E_SERVER_LOG ? "pipe" : "ignore",
      stderr: "pipe",
      // No warm pool here: the browser suite's one runtime start is a plain spawn (the runtime suite covers the pool).
      env: {
        PORT: String(PORT),
        SPA_PORT: String(SPA_PORT),
        AUTOCLAW_STATE_DIR: stateDir,
        RUNTIME_POOL_SIZE: "0",
        TELEGRAM_BOT_TOKEN: TELEGRAM.token,
        TELEGRAM_BOT_USERNAME: TELEGRAM.username,
        TELEGRAM_WEBHOOK_SECRET: TELEGRAM.secret,
        TELEGRAM_API_ROOT: `http://127.0.0.1:${TELEGRAM.port}`,
        // Billing on, against the fake Stripe: new teams start on the free trial.
        STRIPE_SECRET_KEY: STRIPE.secretKey,
        STRIPE_WEBHOOK_SECRET: STRIPE.webhookSecret,
        STRIPE_API_BASE: `http://127.0.0.1:${STRIPE.port}`,
        STRIPE_PRICE_PRO: STRIPE.prices.pro,
        STRIPE_PRICE_TEAM: STRIPE.prices.team,
      },
      gracefulShutdown: { signal: "SIGTERM", timeout: 10_000 },
    },
  ],
});
