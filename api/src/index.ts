// The Worker: one fetch entry that routes tRPC, accounts, artifact downloads and webhooks;
// the queues' consumer (runs, schedules' fire times); the reaper cron; and the backbone's Durable Object classes. Each entry
// takes the isolate's services from the composition root (services.ts) and hands them down.
import { TRPC_MAX_BATCH } from "@autoclaw/shared";
import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { handleAuth } from "./auth";
import { benchBaseline } from "./bench-baselines";
import { ConfigError } from "./config";
import { clientOf, openAuditExport, pruneAuditLog } from "./domain/audit";
import { reapRuns } from "./domain/run-executor";
import { openSignedArtifact } from "./domain/runs";
import { stopIdleRuntimes } from "./domain/runtime";
import { sweepDueSchedules } from "./domain/schedules";
import { handleTriggerRequest } from "./domain/triggers";
import { pruneTelegramUpdates } from "./domain/telegram";
import { sendPendingReplies } from "./domain/telegram-replies";
import { pruneWorkspaceVersions } from "./domain/workspace";
import type { AppEnv } from "./env";
import { handleModelProxy } from "./model/proxy";
import { consumeQueue, type QueueMessage } from "./queue/consumer";
import { type Services, services } from "./services";
import { createContext, crossSiteRefusal } from "./trpc/init";
import { appRouter } from "./trpc/router";
import { stripeWebhook } from "./webhooks/stripe";
import { telegramWebhook } from "./webhooks/telegram";

export { AgentSession } from "./durable-objects/agent-session";
export { TelegramChat } from "./durable-objects/telegram-chat";
export { Sandbox } from "@cloudflare/sandbox";

/** A malformed %-sequence in a link is an invalid link, not a server error. */
const safeDecode = (part: string) => {
  try {
    return decodeURIComponent(part);
  } catch {
    return undefined;
  }
};

const json = (body: unknown, status = 200) =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });

export default {
  async fetch(req: Request, env: AppEnv, ctx: ExecutionContext): Promise<Response> {
    const url = new URL(req.url);
    let svc: Services;
    try {
      svc = services(env);
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      console.error(e.message);
      return json({ error: "AutoClaw is misconfigured", problems: e.problems }, 503);
    }
    const { db, settings: s } = svc;

    if (url.pathname === "/api/health") return json({ ok: true });

    const baseline = benchBaseline(url.pathname, s.BENCH_BASELINES);
    if (baseline) return baseline(env, req);

    if (url.pathname.startsWith("/api/auth/")) return handleAuth(req, svc.auth(), db);

    // Signed, short-lived audit exports (made by audit.export for a team's owners and admins).
    if (url.pathname === "/api/audit/export" && req.method === "GET") {
      const file = await openAuditExport(db, s, url.searchParams.get("grant"), url.searchParams.get("sig"), clientOf(req));
      if (!file) return json({ error: "This link is invalid or has expired. Export again from the audit page." }, 403);
      return new Response(file.body, {
        headers: {
          "content-type": file.contentType,
          "content-disposition": `attachment; filename="${file.filename}"`,
          "cache-control": "private, no-store",
        },
      });
    }

    // Tenant runtimes' model calls (OpenAI-compatible), authenticated by the runtime's token.
    if (url.pathname.startsWith("/api/model/v1/"))
      return handleModelProxy(req, url.pathname.slice("/api/model/v1".length), db, s, (p) => ctx.waitUntil(p), svc.toolCalls);

    // Signed, short-lived artifact links (made by runs.get for members of the run's team).
    const artifact = url.pathname.match(/^\/api\/artifacts\/([^/]+)\/([^/]+)$/);
    if (artifact && req.method === "GET") {
      const [runId, name] = [artifact[1]!, artifact[2]!].map(safeDecode);
      const found =
        runId &&
        name &&
        (await openSignedArtifact(db, s, env.ARTIFACTS, runId, name, url.searchParams.get("exp"), url.searchParams.get("sig")));
      if (!found) return json({ error: "This link is invalid or has expired. Open the run again for a fresh one." }, 403);
      return new Response(found.object.body, {
        headers: {
          "content-type": found.artifact.contentType,
          "content-length": String(found.artifact.size),
          "content-disposition": `attachment; filename="${found.artifact.name.replace(/[^\w.-]/g, "_")}"`,
          "cache-control": "private, no-store",
        },
      });
    }

    // Inbound triggers: another system's request starts a run of the trigger's agent.
    const trigger = url.pathname.match(/^\/api\/triggers\/([A-Za-z0-9_-]{1,64})$/);
    if (trigger) {
      const answer = await handleTriggerRequest(svc, trigger[1]!, req);
      return new Response(JSON.stringify(answer.body), {
        status: answer.status,
        headers: { "content-type": "application/json", ...answer.headers },
      });
    }

    if (url.pathname === "/api/webhooks/telegram") return telegramWebhook(req, env, svc);

    if (url.pathname === "/api/webhooks/stripe") return stripeWebhook(req, svc);

    if (url.pathname === "/trpc" || url.pathname.startsWith("/trpc/")) {
      const refused = crossSiteRefusal(req, s.APP_URL);
      if (refused) return refused;
      return fetchRequestHandler({
        endpoint: "/trpc",
        req,
        router: appRouter,
        maxBatchSize: TRPC_MAX_BATCH,
        createContext: ({ info }) => createContext(svc, req, info.connectionParams),
        onError({ error, path }) {
          if (error.code === "INTERNAL_SERVER_ERROR") console.error(`trpc ${path ?? "?"} failed:`, error.cause ?? error);
        },
      });
    }

    return json({ error: "Not found" }, 404);
  },

  async queue(batch: MessageBatch<QueueMessage>, env: AppEnv): Promise<void> {
    await consumeQueue(batch, services(env));
  },

  async scheduled(controller: ScheduledController, env: AppEnv): Promise<void> {
    const svc = services(env);
    const reaped = await reapRuns(svc);
    if (reaped.failed || reaped.retried || reaped.resent)
      console.log(
        `reaper: ${reaped.retried} runs whose executor stopped run again, ${reaped.failed} failed, ${reaped.resent} stale queued runs re-sent`,
      );
    // The minute the cron fired for (not the moment it got to run): a late tick still fires that minute's schedules.
    const swept = await sweepDueSchedules(svc, new Date(controller.scheduledTime));
    if (swept.due)
      console.log(`cron: ${swept.due} due schedule fire times handed over (${swept.sends} queue sends, ${swept.statements} D1 statements)`);
    await pruneAuditLog(svc.db);
    const pruned = await pruneWorkspaceVersions(svc);
    if (pruned) console.log(`reaper: deleted ${pruned} workspace file versions past their retention`);
    if (svc.telegram) {
      const sent = await sendPendingReplies(svc.telegram);
      if (sent) console.log(`reaper: sent ${sent} pending Telegram replies`);
      await pruneTelegramUpdates(svc.db);
    }
    if (svc.runtime) {
      const stopped = await stopIdleRuntimes(svc.runtime);
      if (stopped) console.log(`reaper: stopped ${stopped} idle runtimes`);
    }
  },
} satisfies ExportedHandler<AppEnv, QueueMessage>;
