// The runtime host's HTTP API on loopback (types in @autoclaw/runtime-protocol): every route but
// /health and the pool's warm-up endpoint needs the shared secret. Routing only; what each route
// does is the host's (host.ts).
import { timingSafeEqual } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type {
  CliResult,
  HostError,
  StartSpec,
  TenantOpenclawConfig,
  TurnRequest,
  TurnResult,
  TurnStreamLine,
  WorkspaceListing,
} from "@autoclaw/runtime-protocol";
import { HostHttpError } from "./tenant.ts";

/** What the routes call on the host. */
export interface HostApi {
  health(): Record<string, unknown>;
  warmupCompletion(req: IncomingMessage, res: ServerResponse): void;
  hasTenant(id: string): boolean;
  start(id: string, spec: StartSpec): Promise<void>;
  stop(id: string): Promise<void>;
  status(id: string): Record<string, unknown>;
  turn(id: string, turn: TurnRequest, callerGone: AbortSignal, onDelta?: (text: string) => void): Promise<TurnResult>;
  logs(id: string, lines: number): string[];
  writeFiles(id: string, files: { path: string; content: string }[]): Promise<void>;
  listFiles(id: string, under?: string): Promise<WorkspaceListing>;
  readFile(id: string, rel: string): Promise<Buffer>;
  supersedeWorkspace(id: string): Promise<void>;
  applyConfig(id: string, config: TenantOpenclawConfig, skillEnv?: Record<string, string>): Promise<void>;
  setAside(id: string, paths: string[]): Promise<void>;
  cli(id: string, args: string[], config?: TenantOpenclawConfig): Promise<CliResult>;
  /** Where the tenant's running gateway answers; HostHttpError `not_running` when none runs. */
  gateway(id: string): { port: number; token: string };
}

function json(res: ServerResponse, status: number, body: unknown) {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
}

async function body(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** Passes a request to the tenant's gateway HTTP API (its models list, …); the host adds the gateway token, the Worker never holds it. */
async function forward(host: HostApi, id: string, req: IncomingMessage, res: ServerResponse, rest: string) {
  const gw = host.gateway(id);
  const headers: Record<string, string> = { authorization: `Bearer ${gw.token}` };
  for (const h of ["content-type", "accept"]) if (typeof req.headers[h] === "string") headers[h] = req.headers[h];
  const payload = req.method === "GET" || req.method === "HEAD" ? undefined : await body(req);
  try {
    const upstream = await fetch(`http://127.0.0.1:${gw.port}${rest}`, { method: req.method, headers, body: payload });
    res.writeHead(upstream.status, { "content-type": upstream.headers.get("content-type") ?? "application/octet-stream" });
    res.end(Buffer.from(await upstream.arrayBuffer()));
  } catch (e) {
    json(res, 502, { error: `gateway unreachable: ${(e as Error).message}`, code: "unreachable" });
  }
}

/**
 * A streamed turn in NDJSON (TurnStreamLine): the reply's text as the gateway streams it, then the
 * result. The status line goes out with the first line; a failure before it is a plain JSON error.
 */
async function streamTurn(res: ServerResponse, run: (onDelta: (text: string) => void) => Promise<TurnResult>) {
  const line = (v: TurnStreamLine) => {
    if (!res.headersSent) res.writeHead(200, { "content-type": "application/x-ndjson", "cache-control": "no-cache" });
    res.write(`${JSON.stringify(v)}\n`);
  };
  try {
    const result = await run((delta) => line({ delta }));
    line({ result });
    res.end();
  } catch (e) {
    // Before the first line the handler answers as for any failed request.
    if (!res.headersSent) throw e;
    line({ error: (e as Error).message, ...(e instanceof HostHttpError && e.code && { code: e.code }) });
    res.end();
  }
}

export function hostHandler(host: HostApi, secret: string) {
  const want = Buffer.from(secret);
  const authorised = (req: IncomingMessage) => {
    const given = Buffer.from((req.headers.authorization ?? "").replace(/^Bearer /, ""));
    return given.length === want.length && timingSafeEqual(given, want);
  };

  return async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? "/", "http://host");
    if (url.pathname === "/health") return json(res, 200, host.health());
    if (url.pathname === "/warmup/v1/chat/completions" && req.method === "POST") return host.warmupCompletion(req, res);
    if (!authorised(req)) return json(res, 401, { error: "unauthorised" });
    const m = url.pathname.match(/^\/tenants\/([^/]+)(\/.*)$/);
    if (!m) return json(res, 404, { error: "not found" });
    const id = m[1]!;
    const op = m[2]!;
    const read = async () => JSON.parse((await body(req)).toString("utf8") || "{}");
    try {
      // The Worker talks to agents (OpenAI-compatible /v1/*); the gateway's other routes (tools, admin) stay closed.
      if (op.startsWith("/gateway/v1/")) return await forward(host, id, req, res, op.slice("/gateway".length) + url.search);
      if (req.method === "POST" && op === "/turn") {
        const gone = new AbortController();
        res.once("close", () => res.writableFinished || gone.abort());
        const turn = (await read()) as TurnRequest;
        if (!turn.stream) return json(res, 200, await host.turn(id, turn, gone.signal));
        return await streamTurn(res, (onDelta) => host.turn(id, turn, gone.signal, onDelta));
      }
      if (req.method === "POST" && op === "/start") {
        await host.start(id, (await read()) as StartSpec);
        return json(res, 200, host.status(id));
      }
      if (req.method === "POST" && op === "/stop") {
        await host.stop(id);
        return json(res, 200, host.status(id));
      }
      if (req.method === "GET" && op === "/status") return json(res, 200, host.status(id));
      if (req.method === "GET" && op === "/logs")
        return json(res, 200, { lines: host.logs(id, Math.min(500, Number(url.searchParams.get("lines") ?? 100))) });
      if (req.method === "PUT" && op === "/files") {
        await host.writeFiles(id, (await read()).files ?? []);
        return json(res, 200, { ok: true });
      }
      if (req.method === "GET" && op === "/files")
        return json(res, 200, await host.listFiles(id, url.searchParams.get("under") ?? undefined));
      if (req.method === "POST" && op === "/workspace/supersede") {
        await host.supersedeWorkspace(id);
        return json(res, 200, { ok: true });
      }
      if (req.method === "POST" && op === "/workspace/set-aside") {
        await host.setAside(id, (await read()).paths ?? []);
        return json(res, 200, { ok: true });
      }
      if (req.method === "PUT" && op === "/config") {
        const { config, skillEnv } = await read();
        await host.applyConfig(id, config, skillEnv);
        return json(res, 200, host.status(id));
      }
      if (req.method === "GET" && op === "/file") {
        const buf = await host.readFile(id, url.searchParams.get("path") ?? "");
        return json(res, 200, { content: buf.toString("base64") });
      }
      if (req.method === "POST" && op === "/cli") {
        const { args, config } = await read();
        return json(res, 200, await host.cli(id, args, config));
      }
      return json(res, 404, { error: "not found" });
    } catch (e) {
      const err = e as Error & { status?: number; code?: string };
      const status = err instanceof HostHttpError ? err.status : err.code === "ENOENT" ? 404 : 500;
      const answer: HostError = { error: err.message, ...(err instanceof HostHttpError && err.code && { code: err.code }) };
      return json(res, status, { ...answer, ...(host.hasTenant(id) && { status: host.status(id) }) });
    }
  };
}
