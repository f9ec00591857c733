// The local runtime host: what the `host` driver talks to in development and tests. It runs one real
// `openclaw gateway` child process per tenant — own state dir, config, workspace, TMPDIR, HOME, port
// and gateway token, and an environment built from nothing (gateway.ts) — and offers the Worker the
// operations it needs over HTTP on loopback, guarded by a shared secret. Production runs the same
// gateway in a Sandbox container instead (runtime/Dockerfile).
//
// Cold starts: an OpenClaw gateway needs ~10–20 s to be ready and its first turn pays several more
// seconds of lazy set-up. The host therefore keeps a small pool of gateways that are already running
// and have answered one warm-up turn (against the host's own tiny completion endpoint, never a real
// model). A tenant's start claims one: its config is written over the pool config (agents and models
// hot-reload) and the host waits for the gateway's reload outcome and its agents.
//
// Nothing of a tenant's is deleted here: a stop moves a claimed slot's workspace, conversations and
// logs back to the tenant's own folder; a workspace the Worker finds stale is moved aside; a host
// that crashed stops its orphaned gateways and moves their slots home when it comes back.
import type { ChildProcess } from "node:child_process";
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { cp, mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { availableParallelism, totalmem } from "node:os";
import path from "node:path";
import { placeConfig, PROXY_PROVIDER, tenantOpenclawConfig, type TenantOpenclawConfig } from "@autoclaw/runtime-protocol";
import { ALLOWED_CLI, type HostError, type RuntimeErrorCode, type TurnRequest, type TurnResult } from "@autoclaw/runtime-protocol";
import { WORKSPACE_LIMITS, WORKSPACE_MARKER, type WorkspaceListing } from "@autoclaw/runtime-protocol";
import {
  exited,
  freePort,
  gatewayEnv,
  gatewayPaths,
  killOrphan,
  makeDirs,
  OPENCLAW_VERSION,
  reloadOutcome,
  runOpenclaw,
  signalGroup,
  sleep,
  spawnGateway,
  StartGate,
  stopGateway,
  waitReady,
  type CliResult,
  type GatewayPaths,
} from "./gateway.ts";
import { tailLines } from "./logs.ts";
import { listWorkspace, NoWorkspaceError } from "./workspace-listing.ts";

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

/** ~1.25 GB per gateway (OPENCLAW.md), with a fifth of the machine left for everything else. */
export const defaultMaxGateways = () => Math.max(1, Math.floor((totalmem() * 0.8) / (1.25 * 2 ** 30)));

type State = "stopped" | "starting" | "ready" | "error";

interface StartSpec {
  generation: number;
  config: Record<string, unknown>;
  env: Record<string, string>;
}

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
  /** What the gateway runs with (the newest start's spec), to restart a crashed gateway the same way. */
  spec?: StartSpec;
  cleanupTimer?: NodeJS.Timeout;
  /** Turns under way, by OpenClaw session key. */
  turns: Map<string, AbortController>;
  /** SHA-256 of the model token in the config the gateway was last given (what it presents to the proxy). */
  tokenHash?: string;
  /** Workspace hashes, reused while a file is unchanged. */
  hashes: Map<string, { key: string; sha256: string }>;
}

/** A pre-started gateway nobody has claimed yet. */
interface PoolSlot {
  dir: string;
  child: ChildProcess;
  port: number;
  token: string;
}

class HostHttpError extends Error {
  readonly status: number;
  readonly code?: RuntimeErrorCode;
  constructor(status: number, message: string, code?: RuntimeErrorCode) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

const TENANT_ID = /^[A-Za-z0-9_-]{1,64}$/;
const AGENT_ID = /^[a-z0-9_-]{1,64}$/;
const WARMUP_AGENT = "pool-warmup";
/** Who claimed a pool slot: a host that crashed moves the slot's files to that tenant when it comes back. */
const OWNER_FILE = "owner";
/** How long a config change may take to show its reload outcome in the gateway's output. */
const RELOAD_TIMEOUT_MS = 15_000;
/** Superseded workspaces kept per tenant (the oldest beyond this go). */
const SUPERSEDED_KEPT = 3;
/** The sessions pruning OpenClaw's own per-turn maintenance would do (the config sets it to "warn"). */
const SESSION_CLEANUP = ["sessions", "cleanup", "--all-agents", "--enforce"];

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

/** `${NAME}` references resolved from the start's variables (a pooled gateway's environment was fixed before its tenant was known). */
function resolveRefs(config: unknown, vars: Record<string, string>): unknown {
  return JSON.parse(
    JSON.stringify(config).replace(/\$\{([A-Z0-9_]+)\}/g, (ref, name: string) =>
      name in vars ? JSON.stringify(vars[name]).slice(1, -1) : ref,
    ),
  );
}

/** Moves a folder over another (which goes: the moved one is its newer copy). */
async function moveOver(from: string, to: string) {
  if (!existsSync(from)) return;
  await rm(to, { recursive: true, force: true });
  await mkdir(path.dirname(to), { recursive: true, mode: 0o700 });
  await rename(from, to);
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
    const slot = this.pool.shift();
    return this.track(t, slot ? this.claim(t, slot) : this.makeRoom(t).then(() => this.launch(t)));
  }

  /** The same gateway with a new start's secrets; a gateway that will not take them is replaced. */
  private async rekey(t: Tenant, spec: StartSpec) {
    const old = t.spec!.generation;
    t.spec = spec;
    try {
      await this.reloadConfig(t);
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
    let n = this.pool.length + this.filling;
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
    await this.writeTenantConfig(t, this.renderConfig(p, spec, port));
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
    this.opts.log(
      `[runtime-host] tenant ${t.id}: claimed a pooled gateway on ${slot.port} in ${Date.now() - t0} ms (pid ${slot.child.pid})`,
    );
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
    await this.writeTenantConfig(t, next);
    const line = await outcome;
    if (line === undefined)
      this.opts.log(`[runtime-host] tenant ${t.id}: no reload outcome from the gateway within ${RELOAD_TIMEOUT_MS / 1000} s`);
    else if (/failed|skipped/.test(line)) throw new HostHttpError(502, `OpenClaw did not apply the config: ${line}`, "refused");
    // Usually listed at once; a reload that restarted the gateway in-process lists them a little later.
    await this.waitForAgents(t, Object.keys((t.spec!.config as { agents?: { entries?: object } }).agents?.entries ?? {}));
  }

  /** Polls the gateway's model list until every one of these agents is there. */
  private async waitForAgents(t: Tenant, agentIds: string[]) {
    const deadline = Date.now() + 20_000;
    while (agentIds.length && Date.now() < deadline) {
      const res = await fetch(`http://127.0.0.1:${t.port}/v1/models`, { headers: { authorization: `Bearer ${t.token}` } }).catch(
        () => undefined,
      );
      const listed = res?.ok ? await res.text() : "";
      if (agentIds.every((id) => listed.includes(`"openclaw/${id}"`))) return;
      await sleep(100);
    }
    if (agentIds.length) throw new Error("the gateway did not load the tenant's agents within 20 s");
  }

  /** Writes the tenant's config for its gateway, remembering which model token it now holds. */
  private async writeTenantConfig(t: Tenant, text: string) {
    await writeFile(this.paths(t).config, text, { mode: 0o600 });
    const key = (JSON.parse(text) as { models?: { providers?: Record<string, { apiKey?: string }> } }).models?.providers?.[PROXY_PROVIDER]
      ?.apiKey;
    t.tokenHash = key ? createHash("sha256").update(key).digest("hex") : undefined;
  }

  /** The generated config with this host's paths and port filled in. */
  private renderConfig(p: GatewayPaths, spec: Pick<StartSpec, "config" | "env">, port: number, warmupWorkspace?: string): string {
    // The config arrives as JSON from the Worker, which generated it with tenantOpenclawConfig.
    const resolved = resolveRefs(spec.config, spec.env) as TenantOpenclawConfig;
    const config = placeConfig(resolved, { port, workspace: p.workspace, logFile: p.openclawLog });
    if (warmupWorkspace) config.agents.entries[WARMUP_AGENT] = { ...config.agents.entries[WARMUP_AGENT]!, workspace: warmupWorkspace };
    return JSON.stringify(config, null, 2);
  }

  /** Replaces a running gateway's config; resolves once OpenClaw has applied it (see reloadConfig). */
  async applyConfig(id: string, config: Record<string, unknown>) {
    const t = this.tenant(id);
    if (t.state !== "ready" || !t.port || !t.spec || !t.child) throw new HostHttpError(409, `runtime is ${t.state}`, "not_running");
    const running = t.spec;
    t.spec = { ...t.spec, config };
    try {
      await this.reloadConfig(t);
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
    await this.moveHome(t.dir, t.home);
    Object.assign(t, { dir: t.home, pooled: false });
  }

  private async moveHome(slotDir: string, homeDir: string) {
    const from = gatewayPaths(slotDir);
    const to = gatewayPaths(homeDir);
    await moveOver(from.workspace, to.workspace);
    await moveOver(from.agents, to.agents);
    await moveOver(from.logs, to.logs);
    await rm(slotDir, { recursive: true, force: true }); // what is left is the pool's (and the config with the tenant's token)
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
  async turn(id: string, turn: TurnRequest, callerGone: AbortSignal): Promise<TurnResult> {
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
      const res = await fetch(`http://127.0.0.1:${t.port}/v1/chat/completions`, {
        method: "POST",
        headers: {
          authorization: `Bearer ${t.token}`,
          "content-type": "application/json",
          "x-openclaw-session-key": turn.sessionKey,
          "x-openclaw-message-channel": turn.channel,
        },
        body: JSON.stringify({ model: `openclaw/${turn.agentId}`, messages: [{ role: "user", content: turn.input }] }),
        signal: stop.signal,
      });
      const text = await res.text();
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

  private resolveFile(t: Tenant, rel: string): string {
    const base = this.paths(t).workspace;
    const full = path.resolve(base, rel);
    if (!full.startsWith(base + path.sep) || rel.includes("\0")) throw new HostHttpError(400, "path escapes the workspace");
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

  /** Every file in the workspace, or in one agent's folder of it, with its size, SHA-256 and the workspace's marker. */
  async listFiles(id: string, under?: string): Promise<WorkspaceListing> {
    const t = this.tenant(id);
    if (under !== undefined && !AGENT_ID.test(under)) throw new HostHttpError(400, "bad workspace folder");
    try {
      return await listWorkspace(this.paths(t).workspace, under, {
        marker: WORKSPACE_MARKER,
        hashMaxBytes: WORKSPACE_LIMITS.fileBytes,
        cache: t.hashes,
      });
    } catch (e) {
      if (e instanceof NoWorkspaceError) throw new HostHttpError(404, e.message, "no_workspace");
      throw e;
    }
  }

  /** The workspace is not the live one (the Worker's call): it moves aside, the newest few kept; an empty one takes its place. */
  async supersedeWorkspace(id: string) {
    const p = this.paths(this.tenant(id));
    if (!existsSync(p.workspace)) return;
    await moveOver(p.workspace, path.join(p.superseded, new Date().toISOString().replace(/[:.]/g, "-")));
    await mkdir(p.workspace, { recursive: true, mode: 0o700 });
    const kept = readdirSync(p.superseded).sort();
    for (const old of kept.slice(0, Math.max(0, kept.length - SUPERSEDED_KEPT)))
      await rm(path.join(p.superseded, old), { recursive: true, force: true });
  }

  // ── CLI ─────────────────────────────────────────────────────────────────────────────────────────

  /** A read-only command the Worker may run (the allowlist); `config` validates a candidate without touching the running one. */
  async cli(id: string, args: string[], config?: Record<string, unknown>): Promise<CliResult> {
    const t = this.tenant(id);
    if (!ALLOWED_CLI.some((re) => re.test(args.join(" "))))
      throw new HostHttpError(403, `command not allowed: ${args.join(" ")}`, "refused");
    return this.openclaw(t, args, config);
  }

  private async openclaw(t: Tenant, args: string[], config?: Record<string, unknown>): Promise<CliResult> {
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

  /** `sessions cleanup --enforce` against the running gateway's state (stale or orphaned sessions, the disk budget); resolves with the sessions left per agent. */
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

  // ── The pool ────────────────────────────────────────────────────────────────────────────────────────

  /** Starts gateways until the pool is full (never past the host's cap). */
  fillPool() {
    while (!this.closed && this.pool.length + this.filling < this.opts.poolSize && this.liveGateways() < this.opts.maxGateways) {
      this.filling++;
      this.starts
        .run(1, () => this.spawnSlot())
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
    makeDirs(p, this.compileCache);
    // The tenant config shape with one throwaway agent whose model is the host's warm-up endpoint.
    const config = tenantOpenclawConfig({
      agents: [{ id: WARMUP_AGENT, name: "Warm-up", model: "warmup" }],
      modelProxyUrl: `http://127.0.0.1:${this.port}/warmup/v1`,
      restrictTools: true,
    });
    await writeFile(p.config, this.renderConfig(p, { config, env: { AUTOCLAW_MODEL_TOKEN: warmupKey } }, port, path.join(dir, "warmup")), {
      mode: 0o600,
    });
    const child = spawnGateway(p, port, token, this.compileCache);
    const slot: PoolSlot = { dir, child, port, token };
    child.on("exit", () => {
      const i = this.pool.indexOf(slot);
      if (i >= 0) this.pool.splice(i, 1);
    });
    try {
      await waitReady(child, port, () => !this.closed, p, this.opts.readyTimeoutMs);
      // One turn pays the gateway's lazy set-up now instead of in a tenant's first run.
      this.warmupKeys.add(warmupKey);
      const res = await fetch(`http://127.0.0.1:${port}/v1/chat/completions`, {
        method: "POST",
        headers: {
          authorization: `Bearer ${token}`,
          "content-type": "application/json",
          "x-openclaw-session-key": `agent:${WARMUP_AGENT}:pool:1`,
        },
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
    const chunk = (choices: unknown[], extra = {}) =>
      res.write(
        `data: ${JSON.stringify({ id: "warmup", object: "chat.completion.chunk", created: Math.floor(Date.now() / 1000), model: "warmup", choices, ...extra })}\n\n`,
      );
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
        await this.moveHome(dir, path.join(this.opts.dataDir, "tenants", owner));
        this.opts.log(`[runtime-host] moved tenant ${owner}'s files home from a pool slot left by a crash`);
      } else await rm(dir, { recursive: true, force: true });
    }
  }

  // ── HTTP ─────────────────────────────────────────────────────────────────────────────────────────

  private authorised(req: IncomingMessage): boolean {
    const given = Buffer.from((req.headers.authorization ?? "").replace(/^Bearer /, ""));
    const want = Buffer.from(this.opts.secret);
    return given.length === want.length && timingSafeEqual(given, want);
  }

  /** Passes a request to the tenant's gateway HTTP API (its models list, …); the host adds the gateway token, the Worker never holds it. */
  private async forward(id: string, req: IncomingMessage, res: ServerResponse, rest: string) {
    const t = this.tenant(id);
    if (t.state !== "ready" || !t.port) return json(res, 409, { error: `runtime is ${t.state}`, code: "not_running" });
    const headers: Record<string, string> = { authorization: `Bearer ${t.token}` };
    for (const h of ["content-type", "accept"]) if (typeof req.headers[h] === "string") headers[h] = req.headers[h];
    const payload = req.method === "GET" || req.method === "HEAD" ? undefined : await body(req);
    try {
      const upstream = await fetch(`http://127.0.0.1:${t.port}${rest}`, { method: req.method, headers, body: payload });
      res.writeHead(upstream.status, { "content-type": upstream.headers.get("content-type") ?? "application/octet-stream" });
      res.end(Buffer.from(await upstream.arrayBuffer()));
    } catch (e) {
      json(res, 502, { error: `gateway unreachable: ${(e as Error).message}`, code: "unreachable" });
    }
  }

  private async handle(req: IncomingMessage, res: ServerResponse) {
    const url = new URL(req.url ?? "/", "http://host");
    if (url.pathname === "/health") {
      return json(res, 200, {
        ok: true,
        version: OPENCLAW_VERSION,
        pid: process.pid,
        pool: this.pool.length,
        gateways: this.liveGateways(),
        maxGateways: this.opts.maxGateways,
        startsQueued: this.starts.queued,
      });
    }
    if (url.pathname === "/warmup/v1/chat/completions" && req.method === "POST") return this.warmupCompletion(req, res);
    if (!this.authorised(req)) return json(res, 401, { error: "unauthorised" });
    const m = url.pathname.match(/^\/tenants\/([^/]+)(\/.*)$/);
    if (!m) return json(res, 404, { error: "not found" });
    const [, id, op] = m as unknown as [string, string, string];
    const read = async () => JSON.parse((await body(req)).toString("utf8") || "{}");
    try {
      // The Worker talks to agents (OpenAI-compatible /v1/*); the gateway's other routes (tools, admin) stay closed.
      if (op.startsWith("/gateway/v1/")) return await this.forward(id, req, res, op.slice("/gateway".length) + url.search);
      if (req.method === "POST" && op === "/turn") {
        const gone = new AbortController();
        res.once("close", () => res.writableFinished || gone.abort());
        return json(res, 200, await this.turn(id, (await read()) as TurnRequest, gone.signal));
      }
      if (req.method === "POST" && op === "/start") {
        await this.start(id, (await read()) as StartSpec);
        return json(res, 200, this.status(id));
      }
      if (req.method === "POST" && op === "/stop") {
        await this.stop(id);
        return json(res, 200, this.status(id));
      }
      if (req.method === "GET" && op === "/status") return json(res, 200, this.status(id));
      if (req.method === "GET" && op === "/logs")
        return json(res, 200, {
          lines: tailLines(this.paths(this.tenant(id)).log, Math.min(500, Number(url.searchParams.get("lines") ?? 100))),
        });
      if (req.method === "PUT" && op === "/files") {
        await this.writeFiles(id, (await read()).files ?? []);
        return json(res, 200, { ok: true });
      }
      if (req.method === "GET" && op === "/files")
        return json(res, 200, await this.listFiles(id, url.searchParams.get("under") ?? undefined));
      if (req.method === "POST" && op === "/workspace/supersede") {
        await this.supersedeWorkspace(id);
        return json(res, 200, { ok: true });
      }
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
      return json(res, 404, { error: "not found" });
    } catch (e) {
      const err = e as Error & { status?: number; code?: string };
      const status = err instanceof HostHttpError ? err.status : err.code === "ENOENT" ? 404 : 500;
      const answer: HostError & { status?: unknown } = {
        error: err.message,
        ...(err instanceof HostHttpError && err.code && { code: err.code }),
      };
      return json(res, status, { ...answer, ...(this.tenants.has(id) && { status: this.status(id) }) });
    }
  }

  async listen(): Promise<number> {
    await this.recover();
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
      if (t.state === "ready" && t.turns.size === 0 && t.lastActivityAt && now - t.lastActivityAt > this.opts.idleMs) {
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
    ...(process.env.RUNTIME_MAX_GATEWAYS && { maxGateways: Number(process.env.RUNTIME_MAX_GATEWAYS) }),
    ...(process.env.RUNTIME_MAX_CONCURRENT_STARTS && { maxConcurrentStarts: Number(process.env.RUNTIME_MAX_CONCURRENT_STARTS) }),
  });
  const port = await host.listen();
  console.log(`[runtime-host] listening on 127.0.0.1:${port} (openclaw ${OPENCLAW_VERSION}, at most ${host.maxGateways} gateways)`);
  for (const sig of ["SIGINT", "SIGTERM"] as const) process.on(sig, () => void host.close().then(() => process.exit(0)));
}
