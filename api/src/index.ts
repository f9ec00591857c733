// The Worker: one fetch entry that routes tRPC, accounts and (later) webhooks; plus the backbone's
// Durable Object classes. Per request we build the db and auth from the bindings (STYLE.md).
import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { createAuth } from "./auth";
import { ConfigError } from "./config";
import { createDb } from "./db/client";
import { settings, type AppEnv } from "./env";
import { createContext } from "./trpc/init";
import { appRouter } from "./trpc/router";

export { AgentSession } from "./durable-objects/agent-session";
export { Sandbox } from "@cloudflare/sandbox";

const json = (body: unknown, status = 200) =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });

export default {
  async fetch(req: Request, env: AppEnv, ctx: ExecutionContext): Promise<Response> {
    const url = new URL(req.url);
    let s;
    try {
      s = settings(env);
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      console.error(e.message);
      return json({ error: "AutoClaw is misconfigured", problems: e.problems }, 503);
    }
    const db = createDb(env.DB);

    if (url.pathname === "/api/health") return json({ ok: true });

    if (url.pathname.startsWith("/api/auth/")) return createAuth(db, s).handler(req);

    if (url.pathname === "/trpc" || url.pathname.startsWith("/trpc/")) {
      const auth = createAuth(db, s);
      return fetchRequestHandler({
        endpoint: "/trpc",
        req,
        router: appRouter,
        createContext: () => createContext({ env, settings: s, db, auth, req }),
        onError({ error, path }) {
          if (error.code === "INTERNAL_SERVER_ERROR") console.error(`trpc ${path ?? "?"} failed:`, error.cause ?? error);
        },
      });
    }

    void ctx;
    return json({ error: "Not found" }, 404);
  },
} satisfies ExportedHandler<AppEnv>;
