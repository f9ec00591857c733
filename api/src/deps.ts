// What routers, the queue consumer, webhooks and Durable Objects hand to domain code. Built once per
// isolate from the bindings (the env object is stable across requests) rather than per request:
// constructing better-auth is not free and a run's request path should not pay for it.
import { createAuth, type Auth } from "./auth";
import type { RuntimeDeps } from "./domain/runtime";
import { sandboxGatewayToken } from "./domain/runtime";
import { hostDriver } from "./runtime/host-driver";
import type { RuntimeDriver } from "./runtime/runtime";
import { sandboxDriver } from "./runtime/sandbox-driver";
import { sandboxStubs } from "./runtime/sandbox-stubs";
import { createDb, type Db } from "./db/client";
import type { RunDeps, RunNotifier } from "./domain/run-records";
import { keepTyping, sendRunReply, telegramConfig, type TelegramDeps } from "./domain/telegram";
import { Api } from "grammy";
import type { PlanId } from "@autoclaw/shared";
import { pricesFrom } from "./domain/billing";
import { agentSession, settings, type AppEnv } from "./env";
import type { Settings } from "./config";

export interface Services extends RunDeps {
  db: Db;
  settings: Settings;
  /** Built on first use: API-key and queue paths never need it. */
  auth(): Auth;
  /** The tenant runtime driver chosen by TENANT_RUNTIME, built on first use. */
  runtime(): RuntimeDeps;
  /** The shared Telegram bot's API client and run hooks; undefined when Telegram is off. */
  telegram?: TelegramDeps;
  /** Stripe price ids per plan (STRIPE_PRICE_<PLAN>). */
  prices: Partial<Record<PlanId, string>>;
}

/** Telegram runs show "typing…" while they work and send their reply when they end. */
function telegramNotifier(t: TelegramDeps): RunNotifier {
  return {
    working: (run) => (run.source === "telegram" ? keepTyping(t, run.id) : () => undefined),
    // Other runs cost nothing here: no D1 work on every run's finish.
    finished: async (run) => {
      if (run.source !== "telegram") return;
      await sendRunReply(t, run.id).catch((e) => console.error(`telegram reply for ${run.id}:`, e instanceof Error ? e.message : e));
    },
  };
}

function chooseDriver(env: AppEnv, db: Db, s: Settings): RuntimeDriver {
  if (s.TENANT_RUNTIME === "direct") throw new Error("TENANT_RUNTIME=direct has no tenant runtimes");
  if (s.TENANT_RUNTIME === "sandbox") return sandboxDriver(sandboxStubs(env.Sandbox), (tenantId) => sandboxGatewayToken(db, s, tenantId));
  if (!s.RUNTIME_HOST_URL || !s.RUNTIME_HOST_SECRET) throw new Error("TENANT_RUNTIME=host needs RUNTIME_HOST_URL and RUNTIME_HOST_SECRET");
  return hostDriver(s.RUNTIME_HOST_URL, s.RUNTIME_HOST_SECRET);
}

const cache = new WeakMap<object, Services>();

export function services(env: AppEnv): Services {
  let s = cache.get(env);
  if (!s) {
    const config = settings(env);
    const db = createDb(env.DB);
    let auth: Auth | undefined;
    let runtime: RuntimeDeps | undefined;
    const runtimeDeps = () => (runtime ??= { db, settings: config, bucket: env.ARTIFACTS, driver: chooseDriver(env, db, config) });
    s = {
      db,
      settings: config,
      queue: env.RUN_QUEUE,
      bucket: env.ARTIFACTS,
      auth: () => (auth ??= createAuth(db, config)),
      runtime: runtimeDeps,
      dispatch: (m) => agentSession(env, m.tenantId, m.agentId).enqueue(m.runId),
      prices: pricesFrom(env),
    };
    const tg = telegramConfig(config);
    if (tg.enabled) {
      s.telegram = { ...s, api: new Api(tg.token!, tg.apiRoot ? { apiRoot: tg.apiRoot } : undefined) };
      s.notify = telegramNotifier(s.telegram);
    }
    cache.set(env, s);
  }
  return s;
}

/** What the run executor needs; without tenant runtimes (direct mode) it calls the model itself. */
export function runDeps(env: AppEnv): RunDeps {
  const s = services(env);
  return s.settings.TENANT_RUNTIME === "direct" ? { ...s, runtime: undefined } : s;
}
