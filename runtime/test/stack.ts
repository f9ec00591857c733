// Test tooling: the whole product started by the run command (wrangler dev + runtime host + SPA) on
// its own ports and state dir, plus a small tRPC-over-HTTP client, as an integrator would call it.
import { spawn, type ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

export interface Stack {
  api: string;
  /** The runtime host the run command started (PORT + 2 here). */
  hostPort: number;
  stateDir: string;
  /** Everything the run command printed so far (wrangler, runtime host, vite). */
  log(): string;
  stop(): Promise<void>;
}

export async function startStack(port: number, env: Record<string, string> = {}): Promise<Stack> {
  const root = path.resolve(import.meta.dirname, "..", "..");
  const stateDir = mkdtempSync(path.join(tmpdir(), "autoclaw-stack-"));
  const child: ChildProcess = spawn(process.execPath, [path.join(root, "scripts/dev.ts")], {
    cwd: root,
    env: {
      ...process.env,
      PORT: String(port),
      SPA_PORT: String(port + 1),
      RUNTIME_HOST_PORT: String(port + 2),
      AUTOCLAW_STATE_DIR: stateDir,
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let log = "";
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on("data", (d: Buffer) => {
      log += d.toString();
      if (log.includes("AutoClaw is running")) resolve();
    });
    child.stderr!.on("data", (d: Buffer) => (log += d.toString()));
    child.on("exit", () => reject(new Error(`the stack exited:\n${log.slice(-3000)}`)));
  });
  return {
    api: `http://127.0.0.1:${port}`,
    hostPort: port + 2,
    stateDir,
    log: () => log,
    stop: () =>
      new Promise<void>((resolve) => {
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
      }),
  };
}

/** Waits until the runtime host (PORT + 2 in a test stack) has this many warm pool gateways. */
export async function waitForPool(hostPort: number, size: number, timeoutMs = 150_000) {
  for (const deadline = Date.now() + timeoutMs; Date.now() < deadline; ) {
    const health = (await (await fetch(`http://127.0.0.1:${hostPort}/health`)).json()) as { pool: number };
    if (health.pool >= size) return;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error("the runtime host's pool did not fill");
}

let signUps = 0;

export function client(api: string, origin: string) {
  const headers: Record<string, string> = { "content-type": "application/json", origin };
  async function call<T>(proc: string, input?: unknown, kind: "query" | "mutation" = "mutation"): Promise<T> {
    const url =
      kind === "query"
        ? `${api}/trpc/${proc}${input === undefined ? "" : `?input=${encodeURIComponent(JSON.stringify(input))}`}`
        : `${api}/trpc/${proc}`;
    const res = await fetch(url, {
      method: kind === "query" ? "GET" : "POST",
      headers,
      ...(kind === "mutation" && { body: JSON.stringify(input ?? {}) }),
    });
    const body = (await res.json()) as { result?: { data: T }; error?: { message: string } };
    if (!body.result) throw new Error(`${proc}: ${body.error?.message}`);
    return body.result.data;
  }
  return {
    headers,
    call,
    query: <T>(proc: string, input?: unknown) => call<T>(proc, input, "query"),
    async signUpWithTeam(name: string) {
      // Each sign-up from its own client address: sign-ups are rate-limited per address (5 a minute).
      const res = await fetch(`${api}/api/auth/sign-up/email`, {
        method: "POST",
        headers: { ...headers, "cf-connecting-ip": `198.51.100.${(signUps++ % 250) + 1}` },
        body: JSON.stringify({ name, email: `${name}-${Date.now()}@example.com`, password: "a long test password" }),
      });
      headers.cookie = res.headers
        .getSetCookie()
        .map((c) => c.split(";")[0])
        .join("; ");
      const team = await call<{ id: string }>("tenants.create", { name });
      headers["x-tenant-id"] = team.id;
      return team;
    },
  };
}

// ── The runtime host, as a fault injector sees it ──────────────────────────────────────────────────

const hostSecret = () =>
  readFileSync(path.resolve(import.meta.dirname, "..", "..", ".dev.vars"), "utf8").match(/^RUNTIME_HOST_SECRET=(.+)$/m)![1]!;

export interface HostTenantStatus {
  state: string;
  dir: string;
  pooled: boolean;
  pid: number | null;
  generation: number | null;
}

/** A call to the runtime host's API with its secret (what the Worker's host driver does). */
export async function hostCall<T = HostTenantStatus>(stack: Stack, method: string, p: string, body?: unknown): Promise<T> {
  const res = await fetch(`http://127.0.0.1:${stack.hostPort}${p}`, {
    method,
    headers: { authorization: `Bearer ${hostSecret()}`, "content-type": "application/json" },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
  return (await res.json()) as T;
}

export const hostPid = async (stack: Stack) =>
  ((await (await fetch(`http://127.0.0.1:${stack.hostPort}/health`)).json()) as { pid: number }).pid;

/** SIGKILL of the tenant's gateway (the host restarts it in the same folder). */
export async function killGateway(stack: Stack, tenantId: string) {
  const { pid } = await hostCall(stack, "GET", `/tenants/${tenantId}/status`);
  if (pid) process.kill(pid, "SIGKILL");
}

/** SIGKILL of the runtime host itself; resolves when the run command has started it again. */
export async function killHost(stack: Stack) {
  const before = await hostPid(stack);
  process.kill(before, "SIGKILL");
  for (const deadline = Date.now() + 60_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 250))) {
    const now = await hostPid(stack).catch(() => undefined);
    if (now && now !== before) return;
  }
  throw new Error("the runtime host did not come back");
}

/** Path (below `dir`) → SHA-256 of every file, skipping tools' caches as the workspace listing does. */
export function filesOnDisk(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string, rel: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if ([".git", "node_modules", ".cache"].includes(e.name)) continue;
      if (e.isDirectory()) walk(path.join(d, e.name), `${rel}${e.name}/`);
      else if (e.isFile())
        out[`${rel}${e.name}`] = createHash("sha256")
          .update(readFileSync(path.join(d, e.name)))
          .digest("hex");
    }
  };
  walk(dir, "");
  return out;
}
