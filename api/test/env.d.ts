import type { Bindings } from "../src/env";

// What `env` from cloudflare:test holds: the Worker's bindings plus the test-only migrations.
declare global {
  namespace Cloudflare {
    interface Env extends Bindings {
      TEST_MIGRATIONS: import("cloudflare:test").D1Migration[];
      FAKE_MODEL_URL: string;
      TELEGRAM_API_ROOT: string;
      FAKE_STRIPE_URL: string;
      MAIL_API_URL: string;
      TELEGRAM_WEBHOOK_SECRET: string;
      ENCRYPTION_KEY: string;
    }
  }
}
