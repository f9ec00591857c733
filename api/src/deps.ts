// What routers, the queue consumer, webhooks and Durable Objects hand to domain code. Built once per
// isolate from the bindings (the env object is stable across requests) rather than per request:
// constructing better-auth is not free and a run's request path should not pay for it.
import { createAuth, type Auth } from "./auth";
import { createDb, type Db } from "./db/client";
import type { RunDeps } from "./domain/runs";
import { settings, type AppEnv } from "./env";
import type { Settings } from "./config";

export interface Services extends RunDeps {
  db: Db;
  settings: Settings;
  /** Built on first use: API-key and queue paths never need it. */
  auth(): Auth;
}

const cache = new WeakMap<object, Services>();

export function services(env: AppEnv): Services {
  let s = cache.get(env);
  if (!s) {
    const config = settings(env);
    const db = createDb(env.DB);
    let auth: Auth | undefined;
    s = { db, settings: config, queue: env.RUN_QUEUE, bucket: env.ARTIFACTS, auth: () => (auth ??= createAuth(db, config)) };
    cache.set(env, s);
  }
  return s;
}

export const runDeps = (env: AppEnv): RunDeps => services(env);
