// Bindings and settings, typed once. Everything else takes `AppEnv` and calls `settings(env)`.
import { parseSettings, type Settings } from "./config";

export interface Bindings {
  DB: D1Database;
  ARTIFACTS: R2Bucket;
  RUN_QUEUE: Queue;
  AGENT_SESSION: DurableObjectNamespace;
  Sandbox: DurableObjectNamespace;
}

/** What the Worker receives: bindings plus string vars/secrets, validated by `settings()`. */
export type AppEnv = Bindings & Record<string, unknown>;

const parsed = new WeakMap<object, Settings>();

/** The parsed settings for this env object (parsed on first use, then cached for the isolate). */
export function settings(env: AppEnv): Settings {
  let s = parsed.get(env);
  if (!s) {
    s = parseSettings(env);
    parsed.set(env, s);
  }
  return s;
}
