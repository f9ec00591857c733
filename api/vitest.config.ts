import path from "node:path";
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

const root = path.resolve(import.meta.dirname, "..");

// The Worker under test is the real one (root wrangler.toml) in workerd, with local D1/R2/queues/DOs.
// Test settings replace .dev.vars so the suite never depends on a developer's local secrets.
const migrations = await readD1Migrations(path.join(root, "drizzle"));

export default defineConfig({
  plugins: [
    cloudflareTest(({ inject }) => ({
      wrangler: { configPath: path.join(root, "wrangler.toml") },
      miniflare: {
        bindings: {
          TEST_MIGRATIONS: migrations,
          NODE_ENV: "production",
          APP_URL: "http://127.0.0.1:5173",
          BETTER_AUTH_SECRET: "test-secret-test-secret-test-secret-0123456789",
          ENCRYPTION_KEY: "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
          TENANT_RUNTIME: "direct",
          ALLOW_PRIVATE_MODEL_URLS: "true",
          MODEL_TIMEOUT_MS: "1500",
          RUN_RETRY_DELAY_SECONDS: "0",
          FAKE_MODEL_URL: inject("fakeModelUrl"),
          TELEGRAM_BOT_TOKEN: "123456789:test-token-abcdefghijklmnopqrstuvwxyz",
          TELEGRAM_BOT_USERNAME: "autoclaw_test_bot",
          TELEGRAM_WEBHOOK_SECRET: "test-webhook-secret-0123456789",
          TELEGRAM_API_ROOT: inject("fakeTelegramUrl"),
          // Billing stays off for the Worker under test (the local default); billing.test.ts turns it on per call.
          FAKE_STRIPE_URL: inject("fakeStripeUrl"),
          // Mail goes to the local outbox (it speaks the production mail API); tests read it back.
          MAIL_API_URL: inject("fakeMailUrl"),
          MAIL_API_KEY: "test-mail-key",
        },
      },
    })),
  ],
  test: {
    root: import.meta.dirname,
    include: ["test/**/*.test.ts"],
    setupFiles: ["test/setup.ts"],
    globalSetup: ["test/global-setup.ts"],
  },
});
