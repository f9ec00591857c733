// The local runtime host: what the `host` driver talks to in development and tests. It runs one real
// `openclaw gateway` child process per tenant — own state dir, config, workspace, TMPDIR, HOME, port
// and gateway token, and an environment built from nothing (the host's own secrets never leak in) —
// and offers the Worker the operations it needs over HTTP on loopback, guarded by a shared secret.
// Production runs the same gateway in a Sandbox container instead (runtime/Dockerfile).
//
// Cold starts: an OpenClaw gateway needs ~10–20 s to be ready and its first turn pays several more
// seconds of lazy set-up. The host therefore keeps a small pool of gateways that are already running
// and have answered one warm-up turn (against the host's own tiny completion endpoint, never a real
// model). A tenant's start claims one: its config is written over the pool config (agents and models
// hot-reload, OPENCLAW.md) and the host waits for the gateway's reload outcome and its agents.
import { spawn, type ChildProcess } from "node:child_process";
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { createWriteStream, existsSync, lstatSync, mkdirSync, readFileSync, symlinkSync } from "node:fs";
import { cp, mkdir, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createNetServer, type AddressInfo } from "node:net";
import path from "node:path";
import { PROXY_PROVIDER, tenantOpenclawConfig } from "../../api/src/runtime/openclaw-config.ts";
import { LIST_AFTER_HEADER, LISTING_HEADER, LISTING_MS_HEADER } from "../../api/src/runtime/runtime.ts";

const OPENCLAW = path.join(import.meta.dirname, "..", "node_modules", "openclaw", "openclaw.mjs");
export const OPENCLAW_VERSION: string = JSON.parse(readFileSync(path.join(import.meta.dirname, "..", "node_modules", "openclaw", "package.json"), "utf8")).version;

export interface HostOptions {
  port: number;
  secret: string;
  dataDir: string;
  /** Stop a gateway after this long without traffic. */
  idleMs: number;
  /** How long a gateway may take to answer /readyz. */
  readyTimeoutMs?: number;
  /** Restarts of a crashed gateway before it is left in `error`. */
  maxRestarts?: number;
  /** Gateways kept running and warmed up for tenants to claim (each ~1.2 GB of RAM). */
  poolSize?: number;
  /** Wait this long after a claim before starting its replacement (a spawn would slow the claimer's first turns). */
  poolRefillDelayMs?: number;
  /** Prune each running gateway's old sessions this often (the first time ten minutes after its start). */
  sessionCleanupMs?: number;
  log?: (line: string) => void;
}

type State = "stopped" | "starting" | "ready" | "error";

interface Tenant {
  id: string;
  /** The tenant's own directory on this host (kept across starts). */
  home: string;
  /** Where its gateway lives: `home`, or a claimed pool slot's directory. */
  dir: string;
  pooled: boolean;
  state: State;
  child?: ChildProcess;
  port?: number;
  token?: string;
  startedAt?: number;
  lastActivityAt?: number;
  lastError?: string;
  restarts: number;
  stopping: boolean;
  starting?: Promise<void>;
  /** What the last start was given, to restart a crashed gateway the same way. */
  spec?: StartSpec;
  cleanupTimer?: NodeJS.Timeout;
}

type CliResult = { code: number; stdout: string; stderr: string };

interface StartSpec {
  config: Record<string, unknown>;
  env: Record<string, string>;
}

/** A pre-started gateway nobody has claimed yet. */
interface PoolSlot {
  dir: string;
  child: ChildProcess;
  port: number;
  token: string;
}

const TENANT_ID = /^[A-Za-z0-9_-]{1,64}$/;
const WARMUP_AGENT = "pool-warmup";
/** A listing larger than this stays out of the answer's headers (the Worker then asks for it). */
const MAX_LISTING_HEADER = 16_384;
/** How long a config change may take to show its reload outcome in the gateway's output. */
const RELOAD_TIMEOUT_MS = 15_000;
/** The sessions pruning OpenClaw's own per-turn maintenance would do (the config sets it to "warn"). */
const SESSION_CLEANUP = ["sessions", "cleanup", "--all-agents", "--enforce"];
/** CLI commands the Worker may run in a tenant's runtime; nothing that installs, execs or edits. */
const ALLOWED_CLI = [/^skills list --json( --agent [a-z0-9_-]{1,64})?$/, /^skills info [a-z0-9-]{1,64} --json( --agent [a-z0-9_-]{1,64})?$/, /^config validate$/, /^--version$/];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Signals a gateway's whole process group: the helpers of a gateway that died must not outlive it (they hold its state locks). */
function signalGroup(child: ChildProcess, signal: NodeJS.Signals) {
  try {
    process.kill(-child.pid!, signal);
  } catch {
    child.kill(signal); // no group left
  }
}

/**
 * The gateway's next config reload outcome as it prints it (`[reload] config hot reload applied (…)`,
 * or `… failed …` / `… skipped …` / a forced restart); undefined if none comes within `ms`.
 */
function reloadOutcome(child: ChildProcess, ms: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    let seen = "";
    const onData = (d: Buffer) => {
      seen = (seen + d.toString()).slice(-8192);
      const m = seen.match(/\[reload\] config (?:hot )?reload [^\n]*/);
      if (m) done(m[0]);
    };
    const done = (line?: string) => {
      clearTimeout(timer);
      child.stdout?.off("data", onData);
      child.stderr?.off("data", onData);
      resolve(line);
    };
    const timer = setTimeout(() => done(undefined), ms);
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
  });
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createNetServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

function json(res: ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
}

function tailOf(file: string, lines: number): string[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, "utf8").split("\n").filter(Boolean).slice(-lines);
}

async function body(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

function gatewayPaths(dir: string) {
  return {
    state: path.join(dir, "state"),
    config: path.join(dir, "state", "openclaw.json"),
    workspace: path.join(dir, "workspace"),
    tmp: path.join(dir, "tmp"),
    home: path.join(dir, "home"),
    log: path.join(dir, "logs", "gateway.log"),
    openclawLog: path.join(dir, "logs", "openclaw.log"),
  };
}
type GatewayPaths = ReturnType<typeof gatewayPaths>;

/** `${NAME}` references resolved from the start's variables (a pooled gateway's environment was fixed before its tenant was known). */
function resolveRefs(config: unknown, vars: Record<string, string>): unknown {
  return JSON.parse(JSON.stringify(config).replace(/\$\{([A-Z0-9_]+)\}/g, (ref, name: string) => (name in vars ? JSON.stringify(vars[name]).slice(1, -1) : ref)));
}

export class RuntimeHost {
  readonly tenants = new Map<string, Tenant>();
  readonly pool: PoolSlot[] = [];
  private filling = 0;
  private closed = false;
  private port = 0;
  /** Keys the pool gateways' warm-up provider presents to the host's warm-up endpoint. */
  private readonly warmupKeys = new Set<string>();
  private server?: Server;
  private idleTimer?: NodeJS.Timeout;
  private readonly opts: Required<HostOptions>;

  constructor(opts: HostOptions) {
    this.opts = { readyTimeoutMs: 60_000, maxRestarts: 3, poolSize: 0, poolRefillDelayMs: 30_000, sessionCleanupMs: 6 * 3_600_000, log: (l) => console.log(l), ...opts };
  }

  // ── Tenant lifecycle ──────────────────────────────────────────────────────────────────────────────

  private tenant(id: string): Tenant {
    if (!TENANT_ID.test(id)) throw Object.assign(new Error("bad tenant id"), { status: 400 });
    let t = this.tenants.get(id);
    if (!t) {
      const home = path.join(this.opts.dataDir, "tenants", id);
      t = { id, home, dir: home, pooled: false, state: "stopped", restarts: 0, stopping: false };
      this.tenants.set(id, t);
    }
    return t;
  }

  paths(t: Tenant): GatewayPaths {
    return gatewayPaths(t.dir);
  }

  /** Starts (or joins the start of) a tenant's gateway; resolves once it answers /readyz. */
  start(id: string, spec: StartSpec): Promise<void> {
    const t = this.tenant(id);
    if (t.state === "ready" && t.child) return Promise.resolve();
    if (t.starting) return t.starting;
    t.spec = spec;
    t.restarts = 0;
    const slot = this.pool.shift();
    t.starting = (slot ? this.claim(t, slot) : this.launch(t)).finally(() => (t.starting = undefined));
    return t.starting;
  }

  /** Spawns `openclaw gateway run` in `dir` with an environment built from nothing. */
  private spawnGateway(p: GatewayPaths, cwd: string, port: number, token: string): ChildProcess {
    for (const d of [p.state, p.workspace, p.tmp, p.home, path.dirname(p.log)]) mkdirSync(d, { recursive: true, mode: 0o700 });
    this.shareCompileCache(p);
    const env: Record<string, string> = {
      PATH: `${path.dirname(process.execPath)}:/usr/bin:/bin`,
      HOME: p.home,
      TMPDIR: p.tmp,
      OPENCLAW_STATE_DIR: p.state,
      OPENCLAW_CONFIG_PATH: p.config,
      OPENCLAW_GATEWAY_TOKEN: token,
      NODE_ENV: "production",
    };
    const out = createWriteStream(p.log, { flags: "a" });
    const child = spawn(process.execPath, [OPENCLAW, "gateway", "run", "--port", String(port), "--bind", "loopback"], { cwd, env, stdio: ["ignore", "pipe", "pipe"], detached: true });
    child.stdout!.pipe(out);
    child.stderr!.pipe(out);
    return child;
  }

  /** Resolves when the gateway answers /readyz; rejects if it exits, is replaced or times out. */
  private async waitReady(child: ChildProcess, port: number, current: () => boolean, logFile: string): Promise<void> {
    const deadline = Date.now() + this.opts.readyTimeoutMs;
    while (Date.now() < deadline) {
      if (!current() || child.exitCode !== null || child.signalCode !== null) break;
      try {
        const r = await fetch(`http://127.0.0.1:${port}/readyz`, { signal: AbortSignal.timeout(1000) });
        if (r.ok) return;
      } catch {
        /* not listening yet */
      }
      await sleep(250);
    }
    const exited = child.exitCode !== null || child.signalCode !== null;
    throw new Error(exited ? `gateway exited during start (${child.signalCode ?? child.exitCode}): ${tailOf(logFile, 5).join(" | ")}` : `gateway not ready within ${this.opts.readyTimeoutMs / 1000}s`);
  }

  private async launch(t: Tenant, restart = false): Promise<void> {
    const p = this.paths(t);
    const spec = t.spec!;
    t.state = "starting";
    if (!restart) t.lastError = undefined; // a restart keeps the crash as the last error
    t.stopping = false;
    const port = await freePort();
    const token = randomBytes(24).toString("hex");
    mkdirSync(p.state, { recursive: true, mode: 0o700 });
    await this.writeConfig(p, spec, port);
    const child = this.spawnGateway(p, t.dir, port, token);
    Object.assign(t, { child, port, token, startedAt: Date.now(), lastActivityAt: Date.now() });
    child.on("exit", (code, signal) => this.onExit(t, child, code, signal));
    try {
      await this.waitReady(child, port, () => t.child === child, p.log);
    } catch (e) {
      await this.kill(t);
      t.state = "error";
      t.lastError = (e as Error).message;
      throw e;
    }
    t.state = "ready";
    this.scheduleCleanup(t);
    this.opts.log(`[runtime-host] tenant ${t.id}: gateway ready on ${port} after ${Date.now() - t.startedAt!} ms (pid ${child.pid})`);
  }

  /** Gives a tenant a pre-started gateway: its saved conversations and its config go in, then its agents must be listed. */
  private async claim(t: Tenant, slot: PoolSlot): Promise<void> {
    const t0 = Date.now();
    t.state = "starting";
    t.lastError = undefined;
    t.stopping = false;
    const saved = path.join(gatewayPaths(t.home).state, "agents");
    if (existsSync(saved)) await cp(saved, path.join(gatewayPaths(slot.dir).state, "agents"), { recursive: true });
    Object.assign(t, { dir: slot.dir, pooled: true, child: slot.child, port: slot.port, token: slot.token, startedAt: Date.now(), lastActivityAt: Date.now() });
    slot.child.on("exit", (code, signal) => this.onExit(t, slot.child, code, signal));
    this.scheduleRefill();
    try {
      await this.reloadConfig(t);
    } catch (e) {
      // A claimed gateway that will not take the tenant's config: fall back to a fresh one.
      this.opts.log(`[runtime-host] tenant ${t.id}: pooled gateway failed (${(e as Error).message}); starting a fresh one`);
      await this.release(t);
      return this.launch(t);
    }
    t.state = "ready";
    this.scheduleCleanup(t);
    this.opts.log(`[runtime-host] tenant ${t.id}: claimed a pooled gateway on ${slot.port} in ${Date.now() - t0} ms (pid ${slot.child.pid})`);
  }

  /**
   * Writes the tenant's config over its running gateway's and resolves once OpenClaw has hot-reloaded
   * it (its file watcher waits ~0.5 s, the reload takes as long again or more) and lists the tenant's
   * agents, so the next turn sees the change. A reload OpenClaw reports as failed is an error.
   */
  private async reloadConfig(t: Tenant) {
    const p = this.paths(t);
    const next = this.renderConfig(p, t.spec!, t.port!);
    // An unchanged file gives OpenClaw nothing to reload (and so no outcome to wait for).
    if ((await readFile(p.config, "utf8").catch(() => "")) === next) return;
    const outcome = reloadOutcome(t.child!, RELOAD_TIMEOUT_MS);
    await writeFile(p.config, next, { mode: 0o600 });
    const line = await outcome;
    if (line === undefined) this.opts.log(`[runtime-host] tenant ${t.id}: no reload outcome from the gateway within ${RELOAD_TIMEOUT_MS / 1000} s`);
    else if (/failed|skipped/.test(line)) throw Object.assign(new Error(`OpenClaw did not apply the config: ${line}`), { status: 502 });
    // Usually listed at once; a reload that restarted the gateway in-process lists them a little later.
    await this.waitForAgents(t, Object.keys((t.spec!.config as { agents?: { entries?: object } }).agents?.entries ?? {}));
  }

  /** Polls the gateway's model list until every one of these agents is there. */
  private async waitForAgents(t: Tenant, agentIds: string[]) {
    const deadline = Date.now() + 20_000;
    let listed = "";
    while (agentIds.length && Date.now() < deadline) {
      const res = await fetch(`http://127.0.0.1:${t.port}/v1/models`, { headers: { authorization: `Bearer ${t.token}` } }).catch(() => undefined);
      listed = res?.ok ? await res.text() : "";
      if (agentIds.every((id) => listed.includes(`"openclaw/${id}"`))) return;
      await sleep(100);
    }
    if (agentIds.length) throw new Error("the gateway did not load the tenant's agents within 20 s");
  }

  /** The generated config with this host's paths and port filled in, written where the gateway reads it. */
  private async writeConfig(p: GatewayPaths, spec: StartSpec, port: number, warmupWorkspace?: string) {
    await writeFile(p.config, this.renderConfig(p, spec, port, warmupWorkspace), { mode: 0o600 });
  }

  private renderConfig(p: GatewayPaths, spec: StartSpec, port: number, warmupWorkspace?: string): string {
    const config = resolveRefs(spec.config, spec.env) as any;
    config.gateway = { ...config.gateway, port, bind: "loopback" };
    config.agents ??= {};
    config.agents.defaults = { ...config.agents.defaults, workspace: p.workspace };
    // One workspace per agent, inside the tenant's workspace (the Worker syncs it with R2).
    for (const [agentId, entry] of Object.entries((config.agents.entries ?? {}) as Record<string, Record<string, unknown>>)) entry.workspace = path.join(p.workspace, agentId);
    if (warmupWorkspace) config.agents.entries[WARMUP_AGENT].workspace = warmupWorkspace;
    config.logging = { ...config.logging, file: p.openclawLog };
    return JSON.stringify(config, null, 2);
  }

  /** Replaces a running gateway's config; resolves once OpenClaw has applied it (see reloadConfig). */
  async applyConfig(id: string, config: Record<string, unknown>) {
    const t = this.tenant(id);
    if (t.state !== "ready" || !t.port || !t.spec || !t.child) throw Object.assign(new Error(`runtime is ${t.state}`), { status: 409 });
    const running = t.spec;
    t.spec = { ...t.spec, config };
    try {
      await this.reloadConfig(t);
    } catch (e) {
      t.spec = running; // a restart after a crash must not bring back a config OpenClaw refused
      throw e;
    }
  }

  // ── The pool ────────────────────────────────────────────────────────────────────────────────────────

  /** Starts gateways until the pool is full. */
  fillPool() {
    while (!this.closed && this.pool.length + this.filling < this.opts.poolSize) {
      this.filling++;
      this.spawnSlot()
        .then((slot) => (this.closed ? signalGroup(slot.child, "SIGKILL") : void this.pool.push(slot)))
        .catch((e) => this.opts.log(`[runtime-host] pool gateway failed: ${(e as Error).message}`))
        .finally(() => this.filling--);
    }
  }

  private scheduleRefill() {
    setTimeout(() => this.fillPool(), this.opts.poolRefillDelayMs).unref();
  }

  private async spawnSlot(): Promise<PoolSlot> {
    const t0 = Date.now();
    const dir = path.join(this.opts.dataDir, "pool", randomBytes(6).toString("hex"));
    const p = gatewayPaths(dir);
    const port = await freePort();
    const token = randomBytes(24).toString("hex");
    const warmupKey = randomBytes(24).toString("hex");
    mkdirSync(p.state, { recursive: true, mode: 0o700 });
    // The tenant config shape with one throwaway agent whose model is the host's warm-up endpoint.
    const config = tenantOpenclawConfig({ agents: [{ id: WARMUP_AGENT, name: "Warm-up", model: "warmup" }], modelProxyUrl: `http://127.0.0.1:${this.port}/warmup/v1`, restrictTools: true });
    await this.writeConfig(p, { config, env: { AUTOCLAW_MODEL_TOKEN: warmupKey } }, port, path.join(dir, "warmup"));
    const child = this.spawnGateway(p, dir, port, token);
    const slot: PoolSlot = { dir, child, port, token };
    child.on("exit", () => {
      const i = this.pool.indexOf(slot);
      if (i >= 0) this.pool.splice(i, 1);
    });
    try {
      await this.waitReady(child, port, () => !this.closed, p.log);
      // One turn pays the gateway's lazy set-up now instead of in a tenant's first run.
      this.warmupKeys.add(warmupKey);
      const res = await fetch(`http://127.0.0.1:${port}/v1/chat/completions`, {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json", "x-openclaw-session-key": `agent:${WARMUP_AGENT}:pool:1` },
        body: JSON.stringify({ model: `openclaw/${WARMUP_AGENT}`, messages: [{ role: "user", content: "warm up" }] }),
        signal: AbortSignal.timeout(60_000),
      });
      if (!res.ok) throw new Error(`warm-up turn answered ${res.status}: ${(await res.text()).slice(0, 200)}`);
    } catch (e) {
      signalGroup(child, "SIGKILL");
      await rm(dir, { recursive: true, force: true });
      throw e;
    } finally {
      this.warmupKeys.delete(warmupKey);
    }
    this.opts.log(`[runtime-host] pool gateway ready and warm on ${port} after ${Date.now() - t0} ms (pid ${child.pid})`);
    return slot;
  }

  /** The warm-up turn's "model": a fixed one-word streamed completion for a pool gateway that presents its key. */
  private warmupCompletion(req: IncomingMessage, res: ServerResponse) {
    const key = (req.headers.authorization ?? "").replace(/^Bearer /, "");
    if (!this.warmupKeys.has(key)) return json(res, 401, { error: "unauthorised" });
    res.writeHead(200, { "content-type": "text/event-stream" });
    const chunk = (choices: unknown[], extra = {}) => res.write(`data: ${JSON.stringify({ id: "warmup", object: "chat.completion.chunk", created: Math.floor(Date.now() / 1000), model: "warmup", choices, ...extra })}\n\n`);
    chunk([{ index: 0, delta: { role: "assistant", content: "ready" }, finish_reason: null }]);
    chunk([{ index: 0, delta: {}, finish_reason: "stop" }]);
    chunk([], { usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 } });
    res.end("data: [DONE]\n\n");
  }

  private onExit(t: Tenant, child: ChildProcess, code: number | null, signal: NodeJS.Signals | null) {
    signalGroup(child, "SIGKILL");
    if (t.child !== child) return;
    t.child = undefined;
    if (t.stopping || t.state === "starting") return;
    // A ready gateway died on its own: restart it the same way, a few times.
    const reason = `gateway exited unexpectedly (${signal ?? code})`;
    this.opts.log(`[runtime-host] tenant ${t.id}: ${reason}`);
    t.lastError = reason;
    if (t.spec && t.restarts < this.opts.maxRestarts) {
      t.restarts++;
      t.starting = this.launch(t, true)
        .catch(() => undefined)
        .finally(() => (t.starting = undefined));
    } else {
      t.state = "error";
    }
  }

  /**
   * What every openclaw process shares: Node's compile cache (compiled OpenClaw code, nothing of a
   * tenant's), so a spawn skips most of its ~8 s of compiling. OpenClaw keeps it under TMPDIR, which
   * is the tenant's own; a link points it at the host's. (NODE_COMPILE_CACHE would make OpenClaw
   * respawn itself into a second process.)
   */
  private shareCompileCache(p: GatewayPaths /* its tmp folder exists */) {
    const shared = path.join(this.opts.dataDir, "compile-cache");
    const link = path.join(p.tmp, "node-compile-cache");
    mkdirSync(shared, { recursive: true, mode: 0o700 });
    if (!lstatSync(link, { throwIfNoEntry: false })) symlinkSync(shared, link);
  }

  /** Prunes the running gateway's old sessions on a schedule (OpenClaw no longer does it after every turn). */
  private scheduleCleanup(t: Tenant, delayMs = Math.min(600_000, this.opts.sessionCleanupMs)) {
    clearTimeout(t.cleanupTimer);
    const child = t.child;
    t.cleanupTimer = setTimeout(async () => {
      if (t.child !== child || t.state !== "ready") return;
      await this.cleanupSessions(t.id);
      if (t.child === child) this.scheduleCleanup(t, this.opts.sessionCleanupMs);
    }, delayMs);
    t.cleanupTimer.unref();
  }

  /** `sessions cleanup --enforce` against the running gateway's state (stale or orphaned sessions, the disk budget); resolves with the sessions left per agent. */
  async cleanupSessions(id: string): Promise<{ ok: boolean; entries: Record<string, number> }> {
    const t = this.tenant(id);
    const r = await this.openclaw(t, SESSION_CLEANUP);
    const entries = Object.fromEntries([...r.stdout.matchAll(/agents\/([^/\s]+)\/agent\/openclaw-agent\.sqlite\s+Applied maintenance\. Current entries: (\d+)/g)].map((m) => [m[1]!, Number(m[2])]));
    this.opts.log(`[runtime-host] tenant ${t.id}: session cleanup ${r.code === 0 ? `done (${JSON.stringify(entries)})` : `failed (${r.code}): ${r.stderr.trim().split("\n").at(-1)}`}`);
    return { ok: r.code === 0, entries };
  }

  private async kill(t: Tenant) {
    clearTimeout(t.cleanupTimer);
    const child = t.child;
    if (!child) return;
    t.stopping = true;
    child.kill("SIGTERM");
    // Usually ~2 s; one case was seen to hang for minutes (OPENCLAW.md): SIGKILL after 10 s.
    for (let i = 0; i < 100 && child.exitCode === null && child.signalCode === null; i++) await sleep(100);
    signalGroup(child, "SIGKILL");
    t.child = undefined;
  }

  async stop(id: string) {
    const t = this.tenant(id);
    if (t.starting) await t.starting.catch(() => undefined);
    await this.release(t);
    t.state = "stopped";
    t.token = undefined;
  }

  /** Stops the gateway; a pooled one's conversations go back to the tenant's own directory and the slot is removed. */
  private async release(t: Tenant) {
    await this.kill(t);
    if (!t.pooled) return;
    const slotDir = t.dir;
    const agents = path.join(gatewayPaths(slotDir).state, "agents");
    const saved = path.join(gatewayPaths(t.home).state, "agents");
    await rm(saved, { recursive: true, force: true });
    if (existsSync(agents)) await cp(agents, saved, { recursive: true });
    Object.assign(t, { dir: t.home, pooled: false });
    await rm(slotDir, { recursive: true, force: true });
  }

  status(id: string) {
    const t = this.tenant(id);
    return {
      state: t.state,
      version: OPENCLAW_VERSION,
      pid: t.child?.pid ?? null,
      startedAt: t.state === "ready" && t.startedAt ? new Date(t.startedAt).toISOString() : null,
      lastActivityAt: t.lastActivityAt ? new Date(t.lastActivityAt).toISOString() : null,
      lastError: t.lastError ?? null,
      restarts: t.restarts,
      /** Where the gateway's files are (host-internal; the Worker ignores it). */
      dir: t.dir,
      pooled: t.pooled,
    };
  }

  tail(t: Tenant, lines: number): string[] {
    return tailOf(this.paths(t).log, lines);
  }

  // ── Files (inside the tenant's workspace only) ───────────────────────────────────────────────────

  private resolveFile(t: Tenant, rel: string): string {
    const base = this.paths(t).workspace;
    const full = path.resolve(base, rel);
    if (!full.startsWith(base + path.sep) || rel.includes("\0")) throw Object.assign(new Error("path escapes the workspace"), { status: 400 });
    return full;
  }

  async writeFiles(id: string, files: { path: string; content: string }[]) {
    const t = this.tenant(id);
    for (const f of files) {
      const full = this.resolveFile(t, f.path);
      await mkdir(path.dirname(full), { recursive: true });
      await writeFile(full, Buffer.from(f.content, "base64"));
    }
  }

  async readFile(id: string, rel: string): Promise<Buffer> {
    return readFile(this.resolveFile(this.tenant(id), rel));
  }

  /** Every file in the workspace, or in one agent's folder of it (skipping .git and caches), with its size and SHA-256. */
  async listFiles(id: string, under?: string) {
    const t = this.tenant(id);
    const base = this.paths(t).workspace;
    const root = under ? this.resolveFile(t, under) : base;
    const out: { path: string; size: number; sha256: string }[] = [];
    const walk = async (dir: string) => {
      for (const e of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
        if (e.name === ".git" || e.name === "node_modules" || e.name === ".cache") continue;
        const full = path.join(dir, e.name);
        if (e.isDirectory()) await walk(full);
        else if (e.isFile()) {
          const buf = await readFile(full);
          out.push({ path: path.relative(base, full), size: (await stat(full)).size, sha256: createHash("sha256").update(buf).digest("hex") });
        }
      }
    };
    await walk(root);
    return out.sort((a, b) => a.path.localeCompare(b.path));
  }

  async deleteTenantData(id: string) {
    await this.stop(id);
    await rm(this.tenant(id).home, { recursive: true, force: true });
  }

  // ── CLI ─────────────────────────────────────────────────────────────────────────────────────────

  /** A read-only command the Worker may run (the allowlist); see openclaw() for the rest. */
  async cli(id: string, args: string[], config?: Record<string, unknown>): Promise<CliResult> {
    const t = this.tenant(id);
    if (!ALLOWED_CLI.some((re) => re.test(args.join(" ")))) throw Object.assign(new Error(`command not allowed: ${args.join(" ")}`), { status: 403 });
    return this.openclaw(t, args, config);
  }

  private async openclaw(t: Tenant, args: string[], config?: Record<string, unknown>): Promise<CliResult> {
    const p = this.paths(t);
    for (const d of [p.state, p.workspace, p.tmp, p.home]) mkdirSync(d, { recursive: true, mode: 0o700 });
    this.shareCompileCache(p);
    // Validating a candidate config must not touch the running one.
    const configPath = config ? path.join(p.tmp, `candidate-${randomBytes(4).toString("hex")}.json`) : p.config;
    if (config) await writeFile(configPath, JSON.stringify(config), { mode: 0o600 });
    // The CLI resolves the config's secret references too: give it the running gateway's token (or a throwaway one).
    const env = {
      PATH: `${path.dirname(process.execPath)}:/usr/bin:/bin`,
      HOME: p.home,
      TMPDIR: p.tmp,
      OPENCLAW_STATE_DIR: p.state,
      OPENCLAW_CONFIG_PATH: configPath,
      OPENCLAW_GATEWAY_TOKEN: t.token ?? randomBytes(24).toString("hex"),
      ...(t.spec?.env ?? {}),
    };
    return new Promise((resolve) => {
      const child = spawn(process.execPath, [OPENCLAW, ...args], { cwd: t.dir, env, stdio: ["ignore", "pipe", "pipe"] });
      let stdout = "";
      let stderr = "";
      child.stdout!.on("data", (d) => (stdout += d));
      child.stderr!.on("data", (d) => (stderr += d));
      const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
      child.on("close", (code) => {
        clearTimeout(timer);
        if (config) void rm(configPath, { force: true });
        resolve({ code: code ?? -1, stdout, stderr });
      });
    });
  }

  // ── Forwarding to the gateway (the host adds the gateway token; the Worker never holds it) ─────────

  async forward(id: string, req: IncomingMessage, res: ServerResponse, rest: string) {
    const t = this.tenant(id);
    if (t.state !== "ready" || !t.port) return json(res, 409, { error: `runtime is ${t.state}` });
    t.lastActivityAt = Date.now();
    const headers: Record<string, string> = { authorization: `Bearer ${t.token}` };
    for (const h of ["content-type", "accept", "x-openclaw-session-key", "x-openclaw-message-channel"]) {
      const v = req.headers[h];
      if (typeof v === "string") headers[h] = v;
    }
    const payload = req.method === "GET" || req.method === "HEAD" ? undefined : await body(req);
    const listAfter = req.headers[LIST_AFTER_HEADER];
    try {
      const upstream = await fetch(`http://127.0.0.1:${t.port}${rest}`, { method: req.method, headers, body: payload });
      const out: Record<string, string> = { "content-type": upstream.headers.get("content-type") ?? "application/octet-stream" };
      if (typeof listAfter === "string" && upstream.ok) {
        // The whole answer first, then the agent's files as they are after it (see LIST_AFTER_HEADER).
        const answer = Buffer.from(await upstream.arrayBuffer());
        const t0 = performance.now();
        const listing = await this.listFiles(id, listAfter).catch(() => undefined);
        out[LISTING_MS_HEADER] = String(Math.round(performance.now() - t0));
        const encoded = listing && Buffer.from(JSON.stringify(listing)).toString("base64");
        if (encoded && encoded.length <= MAX_LISTING_HEADER) out[LISTING_HEADER] = encoded;
        res.writeHead(upstream.status, out);
        return void res.end(answer);
      }
      res.writeHead(upstream.status, out);
      if (upstream.body) for await (const chunk of upstream.body) res.write(chunk);
      res.end();
    } catch (e) {
      json(res, 502, { error: `gateway unreachable: ${(e as Error).message}` });
    } finally {
      t.lastActivityAt = Date.now();
    }
  }

  // ── HTTP ─────────────────────────────────────────────────────────────────────────────────────────

  private authorised(req: IncomingMessage): boolean {
    const given = Buffer.from((req.headers.authorization ?? "").replace(/^Bearer /, ""));
    const want = Buffer.from(this.opts.secret);
    return given.length === want.length && timingSafeEqual(given, want);
  }

  private async handle(req: IncomingMessage, res: ServerResponse) {
    const url = new URL(req.url ?? "/", "http://host");
    if (url.pathname === "/health") return json(res, 200, { ok: true, version: OPENCLAW_VERSION, pool: this.pool.length });
    if (url.pathname === "/warmup/v1/chat/completions" && req.method === "POST") return this.warmupCompletion(req, res);
    if (!this.authorised(req)) return json(res, 401, { error: "unauthorised" });
    const m = url.pathname.match(/^\/tenants\/([^/]+)(\/.*)$/);
    if (!m) return json(res, 404, { error: "not found" });
    const [, id, op] = m as unknown as [string, string, string];
    const read = async () => JSON.parse((await body(req)).toString("utf8") || "{}");
    try {
      // The Worker talks to agents (OpenAI-compatible /v1/*); the gateway's other routes (tools, admin) stay closed.
      if (op.startsWith("/gateway/v1/")) return await this.forward(id, req, res, op.slice("/gateway".length) + url.search);
      if (req.method === "POST" && op === "/start") {
        const spec = (await read()) as StartSpec;
        await this.start(id, spec);
        return json(res, 200, this.status(id));
      }
      if (req.method === "POST" && op === "/stop") {
        await this.stop(id);
        return json(res, 200, this.status(id));
      }
      if (req.method === "GET" && op === "/status") return json(res, 200, this.status(id));
      if (req.method === "GET" && op === "/logs") return json(res, 200, { lines: this.tail(this.tenant(id), Math.min(500, Number(url.searchParams.get("lines") ?? 100))) });
      if (req.method === "PUT" && op === "/files") {
        await this.writeFiles(id, (await read()).files ?? []);
        return json(res, 200, { ok: true });
      }
      if (req.method === "GET" && op === "/files") return json(res, 200, { files: await this.listFiles(id, url.searchParams.get("under") ?? undefined) });
      if (req.method === "PUT" && op === "/config") {
        await this.applyConfig(id, (await read()).config);
        return json(res, 200, this.status(id));
      }
      if (req.method === "GET" && op === "/file") {
        const buf = await this.readFile(id, url.searchParams.get("path") ?? "");
        return json(res, 200, { content: buf.toString("base64") });
      }
      if (req.method === "POST" && op === "/cli") {
        const { args, config } = await read();
        return json(res, 200, await this.cli(id, args, config));
      }
      if (req.method === "DELETE" && op === "") {
        await this.deleteTenantData(id);
        return json(res, 200, { ok: true });
      }
      return json(res, 404, { error: "not found" });
    } catch (e) {
      const err = e as Error & { status?: number; code?: string };
      const status = err.status ?? (err.code === "ENOENT" ? 404 : 500);
      return json(res, status, { error: err.message, ...(id && this.tenants.has(id) && { status: this.status(id) }) });
    }
  }

  async listen(): Promise<number> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((r) => this.server!.listen(this.opts.port, "127.0.0.1", r));
    this.idleTimer = setInterval(() => void this.stopIdle(), Math.min(30_000, Math.max(1000, this.opts.idleMs / 4)));
    this.idleTimer.unref();
    this.port = (this.server.address() as AddressInfo).port;
    this.fillPool();
    return this.port;
  }

  async stopIdle() {
    const now = Date.now();
    for (const t of this.tenants.values()) {
      if (t.state === "ready" && t.lastActivityAt && now - t.lastActivityAt > this.opts.idleMs) {
        this.opts.log(`[runtime-host] tenant ${t.id}: idle for ${Math.round((now - t.lastActivityAt) / 1000)} s, stopping`);
        await this.stop(t.id);
      }
    }
  }

  async close() {
    this.closed = true;
    clearInterval(this.idleTimer);
    for (const slot of this.pool.splice(0)) signalGroup(slot.child, "SIGKILL");
    await Promise.all([...this.tenants.keys()].map((id) => this.stop(id)));
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }
}

// `node runtime/src/host.ts`: what the run command starts.
if (import.meta.url === `file://${process.argv[1]}`) {
  const secret = process.env.RUNTIME_HOST_SECRET;
  if (!secret) {
    console.error("RUNTIME_HOST_SECRET is missing");
    process.exit(1);
  }
  const host = new RuntimeHost({
    port: Number(process.env.RUNTIME_HOST_PORT ?? 8790),
    secret,
    dataDir: process.env.RUNTIME_DATA_DIR ?? path.join(process.cwd(), ".autoclaw", "runtimes"),
    idleMs: Number(process.env.RUNTIME_IDLE_MS ?? 15 * 60_000),
    poolSize: Number(process.env.RUNTIME_POOL_SIZE ?? 1),
    poolRefillDelayMs: Number(process.env.RUNTIME_POOL_REFILL_MS ?? 30_000),
    sessionCleanupMs: Number(process.env.RUNTIME_SESSION_CLEANUP_MS ?? 6 * 3_600_000),
  });
  const port = await host.listen();
  console.log(`[runtime-host] listening on 127.0.0.1:${port} (openclaw ${OPENCLAW_VERSION})`);
  for (const sig of ["SIGINT", "SIGTERM"] as const) process.on(sig, () => void host.close().then(() => process.exit(0)));
}
