// One `openclaw gateway` child process on the runtime host: where its files live, the environment
// it gets (built from nothing, so none of the host's secrets leak in), starting it, knowing when it
// is ready or has reloaded its config, and stopping it and every helper it spawned.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, lstatSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { createServer as createNetServer, type AddressInfo } from "node:net";
import path from "node:path";
import { gatewayEnvironment } from "@autoclaw/runtime-protocol";
import { RotatingLog, tailLines } from "./logs.ts";

export const OPENCLAW = path.join(import.meta.dirname, "..", "node_modules", "openclaw", "openclaw.mjs");
export const OPENCLAW_VERSION: string = JSON.parse(
  readFileSync(path.join(import.meta.dirname, "..", "node_modules", "openclaw", "package.json"), "utf8"),
).version;

export function gatewayPaths(dir: string) {
  return {
    dir,
    state: path.join(dir, "state"),
    config: path.join(dir, "state", "openclaw.json"),
    /** OpenClaw's conversations (per-agent session databases). */
    agents: path.join(dir, "state", "agents"),
    workspace: path.join(dir, "workspace"),
    /** Workspaces found not to be the live one, kept aside instead of deleted. */
    superseded: path.join(dir, "superseded"),
    tmp: path.join(dir, "tmp"),
    home: path.join(dir, "home"),
    logs: path.join(dir, "logs"),
    log: path.join(dir, "logs", "gateway.log"),
    openclawLog: path.join(dir, "logs", "openclaw.log"),
    /** The running gateway's pid, so a host that crashed can stop it when it comes back. */
    pid: path.join(dir, "gateway.pid"),
  };
}
export type GatewayPaths = ReturnType<typeof gatewayPaths>;

/**
 * The whole environment of every openclaw process the host starts: nothing of the host's own
 * (RUNTIME_HOST_SECRET, cloud credentials) — only the tenant's folders, its gateway token and the
 * variables its config references.
 */
export function gatewayEnv(
  p: GatewayPaths,
  token: string,
  vars: Record<string, string> = {},
  configPath = p.config,
): Record<string, string> {
  return gatewayEnvironment(
    { ...p, config: configPath },
    { PATH: `${path.dirname(process.execPath)}:/usr/bin:/bin`, OPENCLAW_GATEWAY_TOKEN: token, ...vars },
  );
}

export function makeDirs(p: GatewayPaths, compileCache: string) {
  for (const d of [p.state, p.workspace, p.tmp, p.home, p.logs]) mkdirSync(d, { recursive: true, mode: 0o700 });
  shareCompileCache(p, compileCache);
}

/**
 * What every openclaw process shares: Node's compile cache (compiled OpenClaw code, nothing of a
 * tenant's), so a spawn skips most of its ~8 s of compiling. OpenClaw keeps it under TMPDIR, which
 * is the tenant's own; a link points it at the host's. (NODE_COMPILE_CACHE would make OpenClaw
 * respawn itself into a second process.)
 */
function shareCompileCache(p: GatewayPaths, shared: string) {
  const link = path.join(p.tmp, "node-compile-cache");
  mkdirSync(shared, { recursive: true, mode: 0o700 });
  if (!lstatSync(link, { throwIfNoEntry: false })) symlinkSync(shared, link);
}

/** Starts `openclaw gateway run` in its own process group, its output into a rotating log. */
export function spawnGateway(p: GatewayPaths, port: number, token: string, compileCache: string): ChildProcess {
  makeDirs(p, compileCache);
  const log = new RotatingLog(p.log);
  const child = spawn(process.execPath, [OPENCLAW, "gateway", "run", "--port", String(port), "--bind", "loopback"], {
    cwd: p.dir,
    env: gatewayEnv(p, token),
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  child.stdout!.pipe(log, { end: false });
  child.stderr!.pipe(log, { end: false });
  child.once("close", () => log.end());
  writeFileSync(p.pid, JSON.stringify({ pid: child.pid }), { mode: 0o600 });
  return child;
}

export const exited = (child: ChildProcess) => child.exitCode !== null || child.signalCode !== null;
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Resolves when the gateway answers /readyz; rejects if it exits, is replaced (`current` false) or times out. */
export async function waitReady(
  child: ChildProcess,
  port: number,
  current: () => boolean,
  p: GatewayPaths,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!current() || exited(child)) break;
    try {
      const r = await fetch(`http://127.0.0.1:${port}/readyz`, { signal: AbortSignal.timeout(1000) });
      if (r.ok) return;
    } catch {
      /* not listening yet */
    }
    await sleep(250);
  }
  throw new Error(
    exited(child)
      ? `gateway exited during start (${child.signalCode ?? child.exitCode}): ${tailLines(p.log, 5).join(" | ")}`
      : `gateway not ready within ${timeoutMs / 1000}s`,
  );
}

/**
 * The gateway's next config reload outcome as it prints it (`[reload] config hot reload applied (…)`,
 * or `… failed …` / `… skipped …` / a forced restart); undefined if none comes within `ms`.
 */
export function reloadOutcome(child: ChildProcess, ms: number): Promise<string | undefined> {
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

/** Signals a gateway's whole process group: the helpers of a gateway that died must not outlive it (they hold its state locks). */
export function signalGroup(child: ChildProcess, signal: NodeJS.Signals) {
  try {
    process.kill(-child.pid!, signal);
  } catch {
    child.kill(signal); // no group left
  }
}

/** SIGTERM, then the whole group SIGKILLed after 10 s at most (one gateway was seen to hang for minutes). */
export async function stopGateway(child: ChildProcess) {
  child.kill("SIGTERM");
  for (let i = 0; i < 100 && !exited(child); i++) await sleep(100);
  signalGroup(child, "SIGKILL");
}

/** A gateway left running by a host that crashed: its pid file names it; it is stopped if it is still an openclaw process. */
export function killOrphan(dir: string): boolean {
  const file = gatewayPaths(dir).pid;
  if (!existsSync(file)) return false;
  try {
    const { pid } = JSON.parse(readFileSync(file, "utf8")) as { pid: number };
    if (!readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("openclaw")) return false;
    process.kill(-pid, "SIGKILL");
    return true;
  } catch {
    return false; // gone already
  }
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createNetServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** A one-off openclaw command in a tenant's folders (60 s at most). */
export function runOpenclaw(p: GatewayPaths, args: string[], env: Record<string, string>): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [OPENCLAW, ...args], { cwd: p.dir, env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout!.on("data", (d) => (stdout += d));
    child.stderr!.on("data", (d) => (stderr += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
  });
}

/**
 * Gateway starts under way at once. Each start needs about one core for 10–20 s; more at once only
 * slows every one of them down (after a host restart every tenant starts again at the same moment).
 * Lower `priority` goes first: tenants' starts before pool refills.
 */
export class StartGate {
  #running = 0;
  readonly #waiting: { priority: number; go: () => void }[] = [];
  readonly limit: number;

  constructor(limit: number) {
    this.limit = Math.max(1, limit);
  }

  async run<T>(priority: number, work: () => Promise<T>): Promise<T> {
    if (this.#running < this.limit) this.#running++;
    else {
      // The slot is handed over on release (the count stays), so no newcomer can slip in between.
      await new Promise<void>((go) => {
        this.#waiting.push({ priority, go });
        this.#waiting.sort((a, b) => a.priority - b.priority);
      });
    }
    try {
      return await work();
    } finally {
      const next = this.#waiting.shift();
      if (next) next.go();
      else this.#running--;
    }
  }

  get queued() {
    return this.#waiting.length;
  }
}
