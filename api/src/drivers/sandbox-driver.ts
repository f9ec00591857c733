// The `sandbox` driver (production): one @cloudflare/sandbox container per tenant (`tenant:<id>`),
// image from runtime/Dockerfile with the pinned openclaw. The gateway runs as a background process
// and is reached with containerFetch on its port; the container is the isolation boundary.
import {
  gatewayEnvironment,
  gatewayTurnRequest,
  readCompletionStream,
  MODEL_TOKEN_ENV,
  OPENCLAW_VERSION,
  placeConfig,
  resolveRefs,
  type TenantOpenclawConfig,
  withSkillEnv,
} from "@autoclaw/runtime-protocol";
import { ALLOWED_CLI, fromBase64, toBase64, type DriverStatus } from "@autoclaw/runtime-protocol";
import { RuntimeError, type RuntimeDriver } from "./driver";
import { WORKSPACE_LIMITS, WORKSPACE_MARKER, type WorkspaceListing } from "@autoclaw/runtime-protocol";

const ROOT = "/data/tenant";
const P = {
  state: `${ROOT}/state`,
  config: `${ROOT}/state/openclaw.json`,
  workspace: `${ROOT}/workspace`,
  superseded: `${ROOT}/superseded`,
  tmp: `${ROOT}/tmp`,
  home: `${ROOT}/home`,
  log: `${ROOT}/logs/openclaw.log`,
  /** The start generation whose secrets the gateway process was given, and its model token's hash (JSON). */
  generation: `${ROOT}/generation.json`,
};
const GATEWAY_PORT = 18789;
const PROCESS_ID = "openclaw-gateway";
/** OpenClaw's conversation state (docs/openclaw.md "Workspace and state"): one archive of its agents folder. */
const STATE_ARCHIVE = `${P.tmp}/openclaw-state.tgz`;
/** runtime/src/workspace-listing.ts as the image installs it (runtime/Dockerfile): the host's listing, run in the container. */
export const LISTING_SCRIPT = "/usr/local/lib/autoclaw/workspace-listing.ts";
/** SIGTERM usually ends a gateway in ~2 s; one hung for its 330 s shutdown budget (docs/openclaw.md). */
const STOP_WAIT_MS = 10_000;
const READY_TIMEOUT_MS = 90_000;
const RELOAD_WAIT_MS = 1500;

/** What the driver needs of a Sandbox stub; the real one comes from getSandbox, tests pass a stand-in. */
export interface SandboxLike {
  startProcess(
    command: string,
    options?: { processId?: string; env?: Record<string, string> },
  ): Promise<{ waitForPort(port: number, options?: { path?: string; status?: number; timeout?: number }): Promise<void> }>;
  getProcess(id: string): Promise<{ status: string } | null>;
  killProcess(id: string, signal?: string): Promise<void>;
  exec(
    command: string,
    options?: { env?: Record<string, string>; timeout?: number },
  ): Promise<{ exitCode: number; stdout: string; stderr: string }>;
  writeFile(path: string, content: string, options?: { encoding?: string }): Promise<unknown>;
  readFile(path: string, options?: { encoding?: string }): Promise<{ content: string }>;
  mkdir(path: string, options?: { recursive?: boolean }): Promise<unknown>;
  containerFetch(url: string, init: RequestInit, port?: number): Promise<Response>;
  destroy(): Promise<void>;
}

/** SHA-256 hex, as D1 keeps the model token. */
async function tokenHashOf(token: string | undefined): Promise<string | null> {
  if (!token) return null;
  return [...new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(token)))]
    .map((b) => b.toString(16).padStart(2, "0"))
    .join("");
}

const shellQuote = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Paths filled in for the container layout (the generated config leaves them to the driver). */
const containerConfig = (config: TenantOpenclawConfig) =>
  placeConfig(config, { port: GATEWAY_PORT, workspace: P.workspace, logFile: P.log });

export function sandboxDriver(
  stubFor: (tenantId: string) => SandboxLike,
  gatewayToken: (tenantId: string) => Promise<string>,
): RuntimeDriver {
  const baseEnv = gatewayEnvironment(P);
  // Remembered per isolate only to resolve `${ENV}` for CLI calls; the process holds its own copy.
  const envs = new Map<string, Record<string, string>>();

  /** What the container reports; a call that fails is an error here, never "stopped" (the caller decides what one failure means). */
  async function gatewayStatus(sb: SandboxLike, tenantId: string): Promise<DriverStatus> {
    const proc = await sb.getProcess(PROCESS_ID);
    if (proc?.status !== "running") return { state: "stopped", lastError: null, generation: null };
    const given = await sb.readFile(P.generation).then(
      (f) => JSON.parse(f.content) as { generation: number; tokenHash: string | null },
      () => undefined,
    );
    const res = await sb
      .containerFetch(
        `http://localhost:${GATEWAY_PORT}/readyz`,
        { headers: { authorization: `Bearer ${await gatewayToken(tenantId)}` } },
        GATEWAY_PORT,
      )
      .catch(() => null);
    return {
      state: res?.ok ? "ready" : "starting",
      lastError: null,
      generation: given?.generation ?? null,
      tokenHash: given?.tokenHash ?? null,
    };
  }

  async function stopGateway(sb: SandboxLike) {
    await sb.killProcess(PROCESS_ID, "SIGTERM").catch(() => undefined);
    // Stopped means stopped: its databases are closed before saveState archives them.
    for (const deadline = Date.now() + STOP_WAIT_MS; Date.now() < deadline; await sleep(250)) {
      if ((await sb.getProcess(PROCESS_ID).catch(() => null))?.status !== "running") return;
    }
    await sb.killProcess(PROCESS_ID, "SIGKILL").catch(() => undefined);
  }

  async function listFiles(sb: SandboxLike, under?: string): Promise<WorkspaceListing> {
    if (under !== undefined && !/^[a-z0-9_-]{1,64}$/.test(under)) throw new RuntimeError("bad workspace folder", 400, "refused");
    const r = await sb.exec(
      `node ${LISTING_SCRIPT} ${P.workspace} ${under ?? ""} --marker ${WORKSPACE_MARKER} --hash-max ${WORKSPACE_LIMITS.fileBytes}`,
    );
    // Exit 2: the folder does not exist (a fresh container) — not an empty workspace.
    if (r.exitCode === 2) throw new RuntimeError(`No workspace in the container: ${r.stderr.trim().slice(0, 200)}`, 404, "no_workspace");
    if (r.exitCode !== 0) throw new RuntimeError(`The workspace could not be listed: ${r.stderr.trim().slice(0, 200)}`);
    return JSON.parse(r.stdout) as WorkspaceListing;
  }

  return {
    kind: "sandbox",
    isolated: true,
    async start(tenantId, spec) {
      const sb = stubFor(tenantId);
      let current = await gatewayStatus(sb, tenantId);
      if (current.state !== "stopped" && current.generation !== null && spec.generation < current.generation) {
        throw new RuntimeError(`start ${spec.generation} is older than the running one (${current.generation})`, 409, "superseded");
      }
      // The same start already under way (another isolate began it): wait for it.
      for (
        const deadline = Date.now() + READY_TIMEOUT_MS;
        current.state === "starting" && current.generation === spec.generation && Date.now() < deadline;
        await sleep(500)
      ) {
        current = await gatewayStatus(sb, tenantId);
      }
      if (current.state === "ready" && current.generation === spec.generation) return current;
      // A gateway with another start's secrets (the model token is in its environment): replace it.
      if (current.state !== "stopped") await stopGateway(sb);
      for (const dir of [P.state, P.workspace, P.tmp, P.home, `${ROOT}/logs`]) await sb.mkdir(dir, { recursive: true });
      await sb.writeFile(P.config, JSON.stringify(containerConfig(spec.config)));
      await sb.writeFile(
        P.generation,
        JSON.stringify({ generation: spec.generation, tokenHash: await tokenHashOf(spec.env[MODEL_TOKEN_ENV]) }),
      );
      const env = { ...baseEnv, ...spec.env, OPENCLAW_GATEWAY_TOKEN: await gatewayToken(tenantId) };
      envs.set(tenantId, spec.env);
      const proc = await sb.startProcess("start-gateway", { processId: PROCESS_ID, env: { ...env, GATEWAY_PORT: String(GATEWAY_PORT) } });
      try {
        await proc.waitForPort(GATEWAY_PORT, { path: "/readyz", status: 200, timeout: READY_TIMEOUT_MS });
      } catch (e) {
        throw new RuntimeError(`OpenClaw ${OPENCLAW_VERSION} did not become ready: ${e instanceof Error ? e.message : e}`);
      }
      return { state: "ready", lastError: null, generation: spec.generation, tokenHash: await tokenHashOf(spec.env[MODEL_TOKEN_ENV]) };
    },
    stop: (tenantId) => stopGateway(stubFor(tenantId)),
    async saveState(tenantId) {
      const sb = stubFor(tenantId);
      const r = await sb.exec(`if [ -d ${P.state}/agents ]; then tar -czf ${STATE_ARCHIVE} -C ${P.state} agents && echo archived; fi`);
      if (r.exitCode !== 0) throw new RuntimeError(`OpenClaw's conversations could not be archived: ${r.stderr.slice(0, 200)}`);
      if (!r.stdout.includes("archived")) return null; // no conversations yet
      return fromBase64((await sb.readFile(STATE_ARCHIVE, { encoding: "base64" })).content);
    },
    async restoreState(tenantId, archive) {
      const sb = stubFor(tenantId);
      // A gateway still running (the container outlived the stop) has newer state than the archive.
      if ((await gatewayStatus(sb, tenantId)).state !== "stopped") return;
      for (const dir of [P.state, P.tmp]) await sb.mkdir(dir, { recursive: true });
      await sb.writeFile(STATE_ARCHIVE, toBase64(archive), { encoding: "base64" });
      const r = await sb.exec(`tar -xzf ${STATE_ARCHIVE} -C ${P.state} && rm -f ${STATE_ARCHIVE}`);
      if (r.exitCode !== 0) throw new RuntimeError(`OpenClaw's saved conversations could not be restored: ${r.stderr.slice(0, 200)}`);
    },
    status: (tenantId) => gatewayStatus(stubFor(tenantId), tenantId),
    async applyConfig(tenantId, config, skillEnv) {
      // The running gateway's environment was fixed at its start: skill values given now go into the
      // file (in the container's state folder, outside the workspace), and into the CLI's environment.
      if (skillEnv) envs.set(tenantId, withSkillEnv(envs.get(tenantId) ?? {}, skillEnv));
      await stubFor(tenantId).writeFile(P.config, JSON.stringify(containerConfig(resolveRefs(config, skillEnv ?? {}))));
      // The gateway's output is not streamed to the Worker here, so give OpenClaw its usual reload
      // time (file watcher ~0.5 s plus the reload) instead of waiting for the outcome as the host does.
      await sleep(RELOAD_WAIT_MS);
    },
    async writeFiles(tenantId, files) {
      const sb = stubFor(tenantId);
      for (const f of files) {
        if (f.path.split("/").includes("..") || f.path.startsWith("/"))
          throw new RuntimeError("path escapes the workspace", 400, "refused");
        const full = `${P.workspace}/${f.path}`;
        await sb.mkdir(full.slice(0, full.lastIndexOf("/")), { recursive: true });
        await sb.writeFile(full, toBase64(f.content), { encoding: "base64" });
      }
    },
    listFiles: (tenantId, under) => listFiles(stubFor(tenantId), under),
    async readFile(tenantId, path) {
      if (path.split("/").includes("..")) throw new RuntimeError("path escapes the workspace", 400, "refused");
      return fromBase64((await stubFor(tenantId).readFile(`${P.workspace}/${path}`, { encoding: "base64" })).content);
    },
    async setAside(tenantId, paths) {
      // The container's disk goes when it sleeps: the caller has kept these files in R2 first.
      const at = `${ROOT}/set-aside/${new Date().toISOString().replace(/[:.]/g, "-")}`;
      for (const rel of paths) {
        if (rel.split("/").includes("..") || rel.startsWith("/")) throw new RuntimeError("path escapes the workspace", 400, "refused");
        const to = `${at}/${rel}`;
        const r = await stubFor(tenantId).exec(
          `if [ -e ${shellQuote(`${P.workspace}/${rel}`)} ]; then mkdir -p ${shellQuote(to.slice(0, to.lastIndexOf("/")))} && mv ${shellQuote(`${P.workspace}/${rel}`)} ${shellQuote(to)}; fi`,
        );
        if (r.exitCode !== 0) throw new RuntimeError(`A folder could not be set aside: ${r.stderr.slice(0, 200)}`);
      }
    },
    async supersedeWorkspace(tenantId) {
      const aside = `${P.superseded}/${new Date().toISOString().replace(/[:.]/g, "-")}`;
      const r = await stubFor(tenantId).exec(
        `if [ -d ${P.workspace} ]; then mkdir -p ${P.superseded} && mv ${P.workspace} ${aside}; fi && mkdir -p ${P.workspace} && (ls -1d ${P.superseded}/* 2>/dev/null | head -n -3 | xargs -r rm -rf)`,
      );
      if (r.exitCode !== 0) throw new RuntimeError(`The old workspace could not be moved aside: ${r.stderr.slice(0, 200)}`);
    },
    async turn(tenantId, turn, signal, onDelta) {
      const sb = stubFor(tenantId);
      const deadline = AbortSignal.timeout(turn.deadlineMs);
      const stop = AbortSignal.any([deadline, ...(signal ? [signal] : [])]);
      const t0 = Date.now();
      try {
        // Aborting the request is what makes OpenClaw abort the agent's run (and its model call).
        const res = await sb.containerFetch(
          `http://localhost:${GATEWAY_PORT}/v1/chat/completions`,
          gatewayTurnRequest({ ...turn, stream: !!onDelta }, await gatewayToken(tenantId), stop),
          GATEWAY_PORT,
        );
        const streamed = onDelta && res.ok && res.body && (res.headers.get("content-type") ?? "").includes("text/event-stream");
        const body = streamed ? await readCompletionStream(res.body!, onDelta) : await res.text();
        const agentMs = Date.now() - t0;
        const listing = res.ok ? await listFiles(sb, turn.agentId).catch(() => undefined) : undefined;
        return { status: res.status, body, agentMs, ...(listing && { listing }) };
      } catch (e) {
        if (deadline.aborted)
          throw new RuntimeError(`The turn took longer than ${Math.round(turn.deadlineMs / 1000)} s and was stopped`, 504, "timeout");
        throw new RuntimeError(`The gateway did not answer: ${e instanceof Error ? e.message : e}`, 502, "unreachable");
      }
    },
    async cli(tenantId, args) {
      if (!ALLOWED_CLI.some((re) => re.test(args.join(" "))))
        throw new RuntimeError(`command not allowed: ${args.join(" ")}`, 403, "refused");
      const env = { ...baseEnv, ...(envs.get(tenantId) ?? {}), OPENCLAW_GATEWAY_TOKEN: await gatewayToken(tenantId) };
      const r = await stubFor(tenantId).exec(`openclaw ${args.map(shellQuote).join(" ")}`, { env, timeout: 60_000 });
      return { code: r.exitCode, stdout: r.stdout, stderr: r.stderr };
    },
    async gatewayFetch(tenantId, path, init) {
      const headers = new Headers(init.headers);
      headers.set("authorization", `Bearer ${await gatewayToken(tenantId)}`);
      return stubFor(tenantId).containerFetch(`http://localhost:${GATEWAY_PORT}${path}`, { ...init, headers }, GATEWAY_PORT);
    },
    async logs(tenantId, lines) {
      const r = await stubFor(tenantId).exec(`tail -n ${Math.min(500, Math.max(1, Math.floor(lines)))} ${P.log} 2>/dev/null || true`);
      return r.stdout.split("\n").filter(Boolean);
    },
  };
}
