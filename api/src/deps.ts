// The shared dependencies that routers, the queue consumer, webhooks and Durable Objects hand to
// domain code, built once per request/batch from the bindings.
import { createDb } from "./db/client";
import type { RunDeps } from "./domain/runs";
import { settings, type AppEnv } from "./env";

export function runDeps(env: AppEnv): RunDeps {
  return { db: createDb(env.DB), settings: settings(env), queue: env.RUN_QUEUE, bucket: env.ARTIFACTS };
}
