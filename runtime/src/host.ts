// The local runtime host: what the `host` driver talks to in development and tests. It runs one real
// `openclaw gateway` child process per tenant — own state dir, config, workspace, TMPDIR, HOME, port
// and gateway token, and an environment built from nothing (gateway.ts) — and offers the Worker the
// operations it needs over HTTP on loopback, guarded by a shared secret. Production runs the same
// gateway in a Sandbox container instead (runtime/Dockerfile).
//
// This file is the tenant lifecycle (start, claim, rekey, stop, crash restarts, capacity, idle stops,
// turns). Beside it: the gateway process (gateway.ts), the warm pool (pool.ts), config reloads
// (config-reload.ts), workspace files (workspace-files.ts) and the HTTP routes (http.ts).
//
// Nothing of a tenant's is deleted here: a stop moves a claimed slot's workspace, conversations and
// logs back to the tenant's own folder; a workspace the Worker finds stale is moved aside; a host
// that crashed stops its orphaned gateways and moves their slots home when it comes back.
import type { ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { cp, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { availableParallelism, totalmem } from "node:os";
import path from "node:path";
import {
  ALLOWED_CLI,
  withSkillEnv,
  type StartSpec,
  type TenantOpenclawConfig,
  type TurnRequest,
  gatewayTurnRequest,
  readCompletionStream,
  type TurnResult,
} from "@autoclaw/runtime-protocol";
import { reloadConfig, renderConfig, writeTenantConfig } from "./config-reload.ts";
import {
  freePort,
  gatewayEnv,
  gatewayPaths,
  killOrphan,
  makeDirs,
  OPENCLAW_VERSION,
  runOpenclaw,
  signalGroup,
  spawnGateway,
  StartGate,
  stopGateway,
  waitReady,
  type CliResult,
  type GatewayPaths,
} from "./gateway.ts";
import { type HostApi, hostHandler } from "./http.ts";
import { tailLines } from "./logs.ts";
import { type PoolSlot, WarmPool } from "./pool.ts";
import { AGENT_ID, HostHttpError, TENANT_ID, type Tenant } from "./tenant.ts";
import {
  listWorkspaceFiles,
  moveHome,
  moveOver,
  readWorkspaceFile,
  setAside,
  supersedeWorkspace,
  writeWorkspaceFiles,
} from "./workspace-files.ts";

export { OPENCLAW_VERSION };

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
  /** Gateways (tenants' and the pool's) running at once; at the cap the least recently used idle one is stopped. */
  maxGateways?: number;
  /** Gateway starts under way at once (one per core by default); the rest wait, tenants before the pool. */
  maxConcurrentStarts?: number;
  log?: (line: string) => void;
}

/** ~1.25 GB per gateway (docs/openclaw.md), with a fifth of the machine left for everything else. */
export const defaultMaxGateways = () => Math.max(1, Math.floor((totalmem() * 0.8) / (1.25 * 2 ** 30)));

/** Who claimed a pool slot: a host that crashed moves the slot's files to that tenant when it comes back. */
const OWNER_FILE = "owner";
/** The sessions pruning OpenClaw's own per-turn maintenance would do (the config sets it to "warn"). */
const SESSION_CLEANUP = ["sessions", "cleanup", "--all-agents", "--enforce"];

export class RuntimeHost implements HostApi {
  readonly tenants = new Map<string, Tenant>();
  private readonly pool: WarmPool;
  private port = 0;
  private server?: Server;
  private idleTimer?: NodeJS.Timeout;
  private readonly opts: Required<HostOptions>;
  private readonly compileCache: string;
  private readonly starts: StartGate;

  constructor(opts: HostOptions) {
    this.opts = {
      readyTimeoutMs: 60_000,
      maxRestarts: 3,
      poolSize: 0,
      poolRefillDelayMs: 30_000,
      sessionCleanupMs: 6 * 3_600_000,
      maxGateways: defaultMaxGateways(),
      maxConcurrentStarts: availableParallelism(),
      log: (l) => console.log(l),
      ...opts,
    };
    this.compileCache = path.join(this.opts.dataDir, "compile-cache");
    this.starts = new StartGate(this.opts.maxConcurrentStarts);
    this.pool = new WarmPool({
      dataDir: this.opts.dataDir,
      compileCache: this.compileCache,
      size: this.opts.poolSize,
      refillDelayMs: this.opts.poolRefillDelayMs,
      readyTimeoutMs: this.opts.readyTimeoutMs,
      starts: this.starts,
      hasRoom: () => this.liveGateways() < this.opts.maxGateways,
      hostPort: () => this.port,
      log: this.opts.log,
    });
  }

  hasTenant(id: string) {
    return this.tenants.has(id);
  }

  // ── Tenant lifecycle ──────────────────────────────────────────────────────────────────────────────

  private tenant(id: string): Tenant {
    if (!TENANT_ID.test(id)) throw new HostHttpError(400, "bad tenant id");
    let t = this.tenants.get(id);
    if (!t) {
      const home = path.join(this.opts.dataDir, "tenants", id);
      t = { id, home, dir: home, pooled: false, state: "stopped", restarts: 0, stopping: false, turns: new Map(), hashes: new Map() };
      this.tenants.set(id, t);
    }
    return t;
  }

  get maxGateways() {
    return this.opts.maxGateways;
  }

  paths(t: Tenant): GatewayPaths {
    return gatewayPaths(t.dir);
  }

  private track(t: Tenant, work: Promise<void>): Promise<void> {
    const p = work.finally(() => {
      if (t.starting === p) t.starting = undefined;
    });
    t.starting = p;
    return p;
  }

  /**
   * Resolves once the tenant's gateway runs with this spec's secrets: a start under way is joined
   * first, then a running gateway of another generation is given the new one (its config, which
   * holds the model token, is rewritten and hot-reloaded), and a stopped tenant gets a gateway.
   */
  async start(id: string, spec: StartSpec): Promise<void> {
    const t = this.tenant(id);
    if (!Number.isSafeInteger(spec.generation) || spec.generation < 0)
      throw new HostHttpError(400, "a start needs its generation (a whole number)");
    while (t.starting) await t.starting.catch(() => undefined);
    if (t.spec && spec.generation < t.spec.generation && t.state !== "stopped") {
      throw new HostHttpError(409, `start ${spec.generation} is older than the running one (${t.spec.generation})`, "superseded");
    }
    if (t.state === "ready" && t.child) {
      if (t.spec?.generation === spec.generation) return;
      return this.track(t, this.rekey(t, spec));
    }
    t.spec = spec;
    t.restarts = 0;
    const slot = this.pool.take();
    return this.track(t, slot ? this.claim(t, slot) : this.makeRoom(t).then(() => this.launch(t)));
  }

  /** The same gateway with a new start's secrets; a gateway that will not take them is replaced. */
  private async rekey(t: Tenant, spec: StartSpec) {
    const old = t.spec!.generation;
    t.spec = spec;
    try {
      await reloadConfig(t, this.paths(t), this.opts.log);
      this.opts.log(`[runtime-host] tenant ${t.id}: gateway moved from start ${old} to ${spec.generation}`);
    } catch (e) {
      this.opts.log(
        `[runtime-host] tenant ${t.id}: gateway did not take start ${spec.generation}'s config (${(e as Error).message}); starting a fresh one`,
      );
      await this.release(t);
      await this.launch(t);
    }
  }

  /** Live gateways: tenants' (running or starting, but for `except`) and the pool's. */
  private liveGateways(except?: Tenant) {
    let n = this.pool.live;
    for (const t of this.tenants.values()) if (t !== except && (t.child || t.starting)) n++;
    return n;
  }

  /** At the cap, stops the least recently used idle gateway (its files go home first); none idle is a clear refusal. */
  private async makeRoom(t: Tenant) {
    while (this.liveGateways(t) >= this.opts.maxGateways) {
      const idle = [...this.tenants.values()]
        .filter((o) => o !== t && o.state === "ready" && o.child && !o.starting && o.turns.size === 0)
        .sort((a, b) => (a.lastActivityAt ?? 0) - (b.lastActivityAt ?? 0))[0];
      if (!idle) {
        throw new HostHttpError(
          503,
          `The runtime host is at capacity: ${this.opts.maxGateways} gateways running and none of them idle. Try again shortly.`,
          "capacity",
        );
      }
      this.opts.log(
        `[runtime-host] at capacity (${this.opts.maxGateways}): stopping tenant ${idle.id}, idle for ${Math.round((Date.now() - (idle.lastActivityAt ?? 0)) / 1000)} s`,
      );
      await this.stop(idle.id);
    }
  }

  private async launch(t: Tenant, restart = false): Promise<void> {
    t.state = "starting";
    if (!restart) t.lastError = undefined; // a restart keeps the crash as the last error
    t.stopping = false;
    await this.starts.run(0, () => this.spawnTenant(t));
  }

  /** The gateway process of a launch, from spawn to ready (inside the start gate, so its ready timeout counts from here). */
  private async spawnTenant(t: Tenant): Promise<void> {
    const p = this.paths(t);
    const spec = t.spec!;
    const port = await freePort();
    const token = randomBytes(24).toString("hex");
    makeDirs(p, this.compileCache);
    await writeTenantConfig(t, p, renderConfig(p, spec, port));
    const child = spawnGateway(p, port, token, this.compileCache);
    Object.assign(t, { child, port, token, startedAt: Date.now(), lastActivityAt: Date.now() });
    child.on("exit", (code, signal) => this.onExit(t, child, code, signal));
    try {
      await waitReady(child, port, () => t.child === child, p, this.opts.readyTimeoutMs);
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

  /** Gives a tenant a pre-started gateway: its conversations and workspace go in, then its config; then its agents must be listed. */
  private async claim(t: Tenant, slot: PoolSlot): Promise<void> {
    const t0 = Date.now();
    t.state = "starting";
    t.lastError = undefined;
    t.stopping = false;
    const home = gatewayPaths(t.home);
    const into = gatewayPaths(slot.dir);
    await writeFile(path.join(slot.dir, OWNER_FILE), t.id, { mode: 0o600 });
    if (existsSync(home.agents)) await cp(home.agents, into.agents, { recursive: true });
    await moveOver(home.workspace, into.workspace);
    Object.assign(t, {
      dir: slot.dir,
      pooled: true,
      child: slot.child,
      port: slot.port,
      token: slot.token,
      startedAt: Date.now(),
      lastActivityAt: Date.now(),
    });
    slot.child.on("exit", (code, signal) => this.onExit(t, slot.child, code, signal));
    try {
      await reloadConfig(t, this.paths(t), this.opts.log);
    } catch (e) {
      // A claimed gateway that will not take the tenant's config: fall back to a fresh one.
      this.opts.log(`[runtime-host] tenant ${t.id}: pooled gateway failed (${(e as Error).message}); starting a fresh one`);
      await this.release(t);
      return this.launch(t);
    }
    t.state = "ready";
    this.scheduleCleanup(t);
    this.opts.log(
      `[runtime-host] tenant ${t.id}: claimed a pooled gateway on ${slot.port} in ${Date.now() - t0} ms (pid ${slot.child.pid})`,
    );
  }

  /** Replaces a running gateway's config; resolves once OpenClaw has applied it (see reloadConfig). */
  async applyConfig(id: string, config: TenantOpenclawConfig, skillEnv?: Record<string, string>) {
    const t = this.tenant(id);
    if (t.state !== "ready" || !t.port || !t.spec || !t.child) throw new HostHttpError(409, `runtime is ${t.state}`, "not_running");
    const running = t.spec;
    t.spec = { ...t.spec, config, env: skillEnv ? withSkillEnv(t.spec.env, skillEnv) : t.spec.env };
    try {
      await reloadConfig(t, this.paths(t), this.opts.log);
    } catch (e) {
      t.spec = running; // a restart after a crash must not bring back a config OpenClaw refused
      throw e;
    }
  }

  private async kill(t: Tenant) {
    clearTimeout(t.cleanupTimer);
    const child = t.child;
    if (!child) return;
    t.stopping = true;
    await stopGateway(child);
    t.child = undefined;
  }

  async stop(id: string) {
    const t = this.tenant(id);
    while (t.starting) await t.starting.catch(() => undefined);
    await this.release(t);
    t.state = "stopped";
    t.token = undefined;
  }

  /** Stops the gateway; a claimed pool slot's workspace, conversations and logs go back to the tenant's own folder. */
  private async release(t: Tenant) {
    await this.kill(t);
    if (!t.pooled) return;
    await moveHome(t.dir, t.home);
    Object.assign(t, { dir: t.home, pooled: false });
  }

  status(id: string) {
    const t = this.tenant(id);
    return {
      state: t.state,
      version: OPENCLAW_VERSION,
      generation: t.child && t.spec ? t.spec.generation : null,
      tokenHash: t.child ? (t.tokenHash ?? null) : null,
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

  // ── Turns ───────────────────────────────────────────────────────────────────────────────────────

  /**
   * One agent turn through the gateway, the agent's folder listed after it. One turn per session at
   * a time; at the deadline, or when the caller hangs up, the request to the gateway is aborted, which
   * OpenClaw turns into aborting the agent's run (and its model call) — not only here.
   */
  async turn(id: string, turn: TurnRequest, callerGone: AbortSignal, onDelta?: (text: string) => void): Promise<TurnResult> {
    const t = this.tenant(id);
    if (!AGENT_ID.test(turn.agentId)) throw new HostHttpError(400, "bad agent id");
    // A gateway being restarted after a crash is waited for, not reported gone.
    if (t.starting) await t.starting.catch(() => undefined);
    if (t.state !== "ready" || !t.port || !t.child) throw new HostHttpError(409, `runtime is ${t.state}`, "not_running");
    if (t.turns.has(turn.sessionKey)) throw new HostHttpError(409, "A turn of this conversation is still running", "busy");
    const stop = new AbortController();
    t.turns.set(turn.sessionKey, stop);
    const deadline = setTimeout(() => stop.abort("deadline"), turn.deadlineMs);
    const onGone = () => stop.abort("caller gone");
    callerGone.addEventListener("abort", onGone);
    t.lastActivityAt = Date.now();
    const t0 = performance.now();
    try {
      const res = await fetch(
        `http://127.0.0.1:${t.port}/v1/chat/completions`,
        gatewayTurnRequest({ ...turn, stream: !!onDelta }, t.token!, stop.signal),
      );
      // The gateway's SSE is read through as it comes (an error answer is JSON either way).
      const streamed = onDelta && res.ok && res.body && (res.headers.get("content-type") ?? "").includes("text/event-stream");
      const text = streamed ? await readCompletionStream(res.body!, onDelta) : await res.text();
      const agentMs = Math.round(performance.now() - t0);
      const listing = res.ok ? await this.listFiles(id, turn.agentId).catch(() => undefined) : undefined;
      return { status: res.status, body: text, agentMs, ...(listing && { listing }) };
    } catch (e) {
      if (stop.signal.reason === "deadline")
        throw new HostHttpError(504, `The turn took longer than ${Math.round(turn.deadlineMs / 1000)} s and was stopped`, "timeout");
      throw new HostHttpError(502, `gateway unreachable: ${(e as Error).message}`, "unreachable");
    } finally {
      clearTimeout(deadline);
      callerGone.removeEventListener("abort", onGone);
      t.turns.delete(turn.sessionKey);
      t.lastActivityAt = Date.now();
    }
  }

  // ── Files (inside the tenant's workspace only) ───────────────────────────────────────────────────

  writeFiles(id: string, files: { path: string; content: string }[]) {
    return writeWorkspaceFiles(this.paths(this.tenant(id)).workspace, files);
  }

  readFile(id: string, rel: string): Promise<Buffer> {
    return readWorkspaceFile(this.paths(this.tenant(id)).workspace, rel);
  }

  listFiles(id: string, under?: string) {
    const t = this.tenant(id);
    return listWorkspaceFiles(this.paths(t).workspace, under, t.hashes);
  }

  supersedeWorkspace(id: string) {
    return supersedeWorkspace(this.paths(this.tenant(id)));
  }

  setAside(id: string, paths: string[]) {
    const t = this.tenant(id);
    return setAside(this.paths(t).workspace, path.join(t.home, "set-aside"), paths);
  }

  logs(id: string, lines: number) {
    return tailLines(this.paths(this.tenant(id)).log, lines);
  }

  /** Where the tenant's running gateway answers (the host adds its token; the Worker never holds it). */
  gateway(id: string) {
    const t = this.tenant(id);
    if (t.state !== "ready" || !t.port || !t.token) throw new HostHttpError(409, `runtime is ${t.state}`, "not_running");
    return { port: t.port, token: t.token };
  }

  // ── CLI ─────────────────────────────────────────────────────────────────────────────────────────

  /** A read-only command the Worker may run (the allowlist); `config` validates a candidate without touching the running one. */
  async cli(id: string, args: string[], config?: TenantOpenclawConfig): Promise<CliResult> {
    const t = this.tenant(id);
    if (!ALLOWED_CLI.some((re) => re.test(args.join(" "))))
      throw new HostHttpError(403, `command not allowed: ${args.join(" ")}`, "refused");
    return this.openclaw(t, args, config);
  }

  private async openclaw(t: Tenant, args: string[], config?: TenantOpenclawConfig): Promise<CliResult> {
    const p = this.paths(t);
    makeDirs(p, this.compileCache);
    const configPath = config ? path.join(p.tmp, `candidate-${randomBytes(4).toString("hex")}.json`) : p.config;
    if (config) await writeFile(configPath, JSON.stringify(config), { mode: 0o600 });
    try {
      // The CLI resolves the config's secret references too: give it the running gateway's token (or a throwaway one).
      return await runOpenclaw(p, args, gatewayEnv(p, t.token ?? randomBytes(24).toString("hex"), t.spec?.env, configPath));
    } finally {
      if (config) await rm(configPath, { force: true });
    }
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

  /**
   * `sessions cleanup --enforce` against the running gateway's state (stale or orphaned sessions, the disk budget); resolves with the
   * sessions left per agent.
   */
  async cleanupSessions(id: string): Promise<{ ok: boolean; entries: Record<string, number> }> {
    const t = this.tenant(id);
    const r = await this.openclaw(t, SESSION_CLEANUP);
    const entries = Object.fromEntries(
      [...r.stdout.matchAll(/agents\/([^/\s]+)\/agent\/openclaw-agent\.sqlite\s+Applied maintenance\. Current entries: (\d+)/g)].map(
        (m) => [m[1]!, Number(m[2])],
      ),
    );
    this.opts.log(
      `[runtime-host] tenant ${t.id}: session cleanup ${r.code === 0 ? `done (${JSON.stringify(entries)})` : `failed (${r.code}): ${r.stderr.trim().split("\n").at(-1)}`}`,
    );
    return { ok: r.code === 0, entries };
  }

  // ── The pool and the host ───────────────────────────────────────────────────────────────────────────

  /** Starts warm gateways until the pool is full (never past the host's cap). */
  fillPool() {
    this.pool.fill();
  }

  warmupCompletion(...args: Parameters<WarmPool["warmupCompletion"]>) {
    this.pool.warmupCompletion(...args);
  }

  health() {
    return {
      ok: true,
      version: OPENCLAW_VERSION,
      pid: process.pid,
      pool: this.pool.slots.length,
      gateways: this.liveGateways(),
      maxGateways: this.opts.maxGateways,
      startsQueued: this.starts.queued,
    };
  }

  private onExit(t: Tenant, child: ChildProcess, code: number | null, signal: NodeJS.Signals | null) {
    signalGroup(child, "SIGKILL");
    if (t.child !== child) return;
    t.child = undefined;
    if (t.stopping || t.state === "starting") return;
    // A ready gateway died on its own: restart it the same way (same folder, newest spec), a few times.
    const reason = `gateway exited unexpectedly (${signal ?? code})`;
    this.opts.log(`[runtime-host] tenant ${t.id}: ${reason}`);
    t.lastError = reason;
    if (t.spec && t.restarts < this.opts.maxRestarts) {
      t.restarts++;
      void this.track(t, this.launch(t, true)).catch(() => undefined);
    } else {
      t.state = "error";
    }
  }

  /**
   * After a crash of the host itself: gateways it left running are stopped (they hold ports and their
   * state locks), a claimed pool slot's files go to the tenant that claimed it, unclaimed slots go.
   */
  private async recover() {
    for (const kind of ["tenants", "pool"]) {
      const root = path.join(this.opts.dataDir, kind);
      for (const name of existsSync(root) ? readdirSync(root) : [])
        if (killOrphan(path.join(root, name))) this.opts.log(`[runtime-host] stopped a gateway left running in ${kind}/${name}`);
    }
    const pool = path.join(this.opts.dataDir, "pool");
    for (const name of existsSync(pool) ? readdirSync(pool) : []) {
      const dir = path.join(pool, name);
      const owner = existsSync(path.join(dir, OWNER_FILE)) ? readFileSync(path.join(dir, OWNER_FILE), "utf8").trim() : undefined;
      if (owner && TENANT_ID.test(owner)) {
        await moveHome(dir, path.join(this.opts.dataDir, "tenants", owner));
        this.opts.log(`[runtime-host] moved tenant ${owner}'s files home from a pool slot left by a crash`);
      } else await rm(dir, { recursive: true, force: true });
    }
  }

  async listen(): Promise<number> {
    await this.recover();
    const handle = hostHandler(this, this.opts.secret);
    this.server = createServer((req, res) => void handle(req, res));
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
      if (t.state === "ready" && t.turns.size === 0 && t.lastActivityAt && now - t.lastActivityAt > this.opts.idleMs) {
        this.opts.log(`[runtime-host] tenant ${t.id}: idle for ${Math.round((now - t.lastActivityAt) / 1000)} s, stopping`);
        await this.stop(t.id);
      }
    }
  }

  async close() {
    this.pool.close();
    clearInterval(this.idleTimer);
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
    ...(process.env.RUNTIME_MAX_GATEWAYS && { maxGateways: Number(process.env.RUNTIME_MAX_GATEWAYS) }),
    ...(process.env.RUNTIME_MAX_CONCURRENT_STARTS && { maxConcurrentStarts: Number(process.env.RUNTIME_MAX_CONCURRENT_STARTS) }),
  });
  const port = await host.listen();
  console.log(`[runtime-host] listening on 127.0.0.1:${port} (openclaw ${OPENCLAW_VERSION}, at most ${host.maxGateways} gateways)`);
  for (const sig of ["SIGINT", "SIGTERM"] as const) process.on(sig, () => void host.close().then(() => process.exit(0)));
}
