// The composition root: what the Worker's entry points hand to domain code, built once per isolate
// from the bindings (the env object is stable across requests) rather than per request, since
// better-auth is not free to construct and a run's request path should not pay for it. The fetch
// handler passes it to procedures in the tRPC context (`ctx.svc`), the queue consumer and the cron
// receive it, and each Durable Object builds it in its constructor. Nothing else imports this file.
import { Api } from "grammy";
import { createAuth, type Auth } from "./auth";
import { ConfigError, settings as parseEnv, type Settings } from "./config";
import { createDb, type Db } from "./db/client";
import type { RunDeps, RunNotifier } from "./domain/run-records";
import type { ScheduleDeps } from "./domain/schedules";
import type { LiveEventSource } from "./domain/runs";
import { sandboxGatewayToken, type RuntimeDeps } from "./domain/runtime";
import { telegramConfig, type TelegramDeps } from "./domain/telegram";
import { keepTyping, sendRunReply } from "./domain/telegram-replies";
import { hostDriver } from "./drivers/host-driver";
import type { RuntimeDriver } from "./drivers/driver";
import { sandboxDriver } from "./drivers/sandbox-driver";
import { sandboxStubs } from "./drivers/sandbox-stubs";
import { agentSession } from "./durable-objects/stubs";
import type { MailSender } from "./domain/mail";
import { httpMailSender } from "./mail/http-sender";
import type { AppEnv } from "./env";

export interface Services extends ScheduleDeps {
  db: Db;
  settings: Settings;
  /** Built on first use: API-key and queue paths never need it. */
  auth(): Auth;
  /** Outbound mail (verification links, invitations). */
  mail: MailSender;
  /** Hands a run to its agent's AgentSession. */
  dispatch: NonNullable<RunDeps["dispatch"]>;
  /** A run's live events, read from its AgentSession. */
  liveEvents: LiveEventSource;
  /** Hands the tool calls the model proxy saw to the agent's AgentSession (its running run's live events). */
  toolCalls: (tenantId: string, agentId: string, calls: { name: string; summary: string }[]) => Promise<void>;
  /** The shared Telegram bot's API client and run hooks; undefined when Telegram is off. */
  telegram?: TelegramDeps;
}

/** Telegram runs show "typing…" while they work and send their reply when they end; so do schedules' runs, to those who opted in. */
function telegramNotifier(t: TelegramDeps): RunNotifier {
  return {
    working: (run) => (run.source === "telegram" ? keepTyping(t, run.id) : () => undefined),
    // Other runs cost nothing here: no D1 work on every run's finish.
    finished: async (run) => {
      if (run.source !== "telegram" && run.source !== "schedule") return;
      await sendRunReply(t, run.id).catch((e) => console.error(`telegram reply for ${run.id}:`, e instanceof Error ? e.message : e));
    },
  };
}

/** The tenant runtimes chosen by TENANT_RUNTIME; none in direct mode (the Worker calls the model itself). */
function tenantRuntimes(env: AppEnv, db: Db, s: Settings): RuntimeDeps | undefined {
  let driver: RuntimeDriver;
  if (s.TENANT_RUNTIME === "direct") return undefined;
  if (s.TENANT_RUNTIME === "sandbox") driver = sandboxDriver(sandboxStubs(env.Sandbox), (tenantId) => sandboxGatewayToken(db, s, tenantId));
  else if (!s.RUNTIME_HOST_URL || !s.RUNTIME_HOST_SECRET)
    throw new ConfigError(["TENANT_RUNTIME=host needs RUNTIME_HOST_URL and RUNTIME_HOST_SECRET"]);
  else driver = hostDriver(s.RUNTIME_HOST_URL, s.RUNTIME_HOST_SECRET);
  return { db, settings: s, bucket: env.ARTIFACTS, driver };
}

const cache = new WeakMap<object, Services>();

/** The isolate's services for this env object (a misconfiguration throws ConfigError, naming what is wrong). */
export function services(env: AppEnv): Services {
  let svc = cache.get(env);
  if (!svc) {
    const config = parseEnv(env);
    const db = createDb(env.DB);
    let auth: Auth | undefined;
    const mail = httpMailSender(config);
    svc = {
      mail,
      db,
      settings: config,
      queue: env.RUN_QUEUE,
      scheduleQueue: env.SCHEDULE_QUEUE,
      bucket: env.ARTIFACTS,
      auth: () => (auth ??= createAuth(db, config, mail)),
      runtime: tenantRuntimes(env, db, config),
      dispatch: (m, waitMs) => agentSession(env, m.tenantId, m.agentId).enqueue(m.runId, waitMs),
      stopRun: (m) => agentSession(env, m.tenantId, m.agentId).cancel(m.runId),
      liveEvents: async (m, after, fallback) => agentSession(env, m.tenantId, m.agentId).events(m.runId, after, fallback),
      toolCalls: async (tenantId, agentId, calls) => {
        const session = agentSession(env, tenantId, agentId);
        for (const c of calls) await session.toolCalled(c.name, c.summary);
      },
    };
    const tg = telegramConfig(config);
    if (tg.enabled) {
      svc.telegram = { ...svc, api: new Api(tg.token!, tg.apiRoot ? { apiRoot: tg.apiRoot } : undefined) };
      svc.notify = telegramNotifier(svc.telegram);
    }
    cache.set(env, svc);
  }
  return svc;
}
