// The `sandbox` driver (production): one @cloudflare/sandbox container per tenant (`tenant:<id>`),
// image from runtime/Dockerfile with the pinned openclaw. The gateway runs as a background process
// and is reached with containerFetch on its port; the container is the isolation boundary.
import { OPENCLAW_VERSION, type TenantOpenclawConfig } from "./openclaw-config";
import { fromBase64, RuntimeError, toBase64, type DriverStatus, type RuntimeDriver, type WorkspaceFile } from "./runtime";

const ROOT = "/data/tenant";
const P = { state: `${ROOT}/state`, config: `${ROOT}/state/openclaw.json`, workspace: `${ROOT}/workspace`, tmp: `${ROOT}/tmp`, home: `${ROOT}/home`, log: `${ROOT}/logs/openclaw.log` };
const GATEWAY_PORT = 18789;
const PROCESS_ID = "openclaw-gateway";
/** OpenClaw's conversation state (OPENCLAW.md "Workspace and state"): one archive of its agents folder. */
const STATE_ARCHIVE = `${P.tmp}/openclaw-state.tgz`;
/** SIGTERM usually ends a gateway in ~2 s; one hung for its 330 s shutdown budget (OPENCLAW.md). */
const STOP_WAIT_MS = 10_000;
const RELOAD_WAIT_MS = 1500;
const ALLOWED_CLI = [/^skills list --json( --agent [a-z0-9_-]{1,64})?$/, /^skills info [a-z0-9-]{1,64} --json( --agent [a-z0-9_-]{1,64})?$/, /^config validate$/, /^--version$/];

/** What the driver needs of a Sandbox stub; the real one comes from getSandbox, tests pass a stand-in. */
export interface SandboxLike {
  startProcess(command: string, options?: { processId?: string; env?: Record<string, string> }): Promise<{ waitForPort(port: number, options?: { path?: string; status?: number; timeout?: number }): Promise<void> }>;
  getProcess(id: string): Promise<{ status: string } | null>;
  killProcess(id: string, signal?: string): Promise<void>;
  exec(command: string, options?: { env?: Record<string, string>; timeout?: number }): Promise<{ exitCode: number; stdout: string; stderr: string }>;
  writeFile(path: string, content: string, options?: { encoding?: string }): Promise<unknown>;
  readFile(path: string, options?: { encoding?: string }): Promise<{ content: string }>;
  mkdir(path: string, options?: { recursive?: boolean }): Promise<unknown>;
  containerFetch(url: string, init: RequestInit, port?: number): Promise<Response>;
  destroy(): Promise<void>;
}

const shellQuote = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;

/** Paths filled in for the container layout (the generated config leaves them to the driver). */
function containerConfig(config: TenantOpenclawConfig) {
  const c = structuredClone(config) as any;
  c.gateway = { ...c.gateway, port: GATEWAY_PORT, bind: "loopback" };
  c.agents.defaults = { ...c.agents.defaults, workspace: P.workspace };
  for (const [id, entry] of Object.entries(c.agents.entries as Record<string, Record<string, unknown>>)) entry.workspace = `${P.workspace}/${id}`;
  c.logging = { file: P.log };
  return c;
}

export function sandboxDriver(stubFor: (tenantId: string) => SandboxLike, gatewayToken: (tenantId: string) => Promise<string>): RuntimeDriver {
  const baseEnv = { HOME: P.home, TMPDIR: P.tmp, OPENCLAW_STATE_DIR: P.state, OPENCLAW_CONFIG_PATH: P.config, NODE_ENV: "production" };
  // Remembered per isolate only to resolve `${ENV}` for CLI calls; the process holds its own copy.
  const envs = new Map<string, Record<string, string>>();

  async function gatewayStatus(sb: SandboxLike, tenantId: string): Promise<DriverStatus> {
    const proc = await sb.getProcess(PROCESS_ID).catch(() => null);
    if (!proc || proc.status !== "running") return { state: "stopped", lastError: null };
    const res = await sb.containerFetch(`http://localhost:${GATEWAY_PORT}/readyz`, { headers: { authorization: `Bearer ${await gatewayToken(tenantId)}` } }, GATEWAY_PORT).catch(() => null);
    return { state: res?.ok ? "ready" : "starting", lastError: null };
  }

  return {
    kind: "sandbox",
    async start(tenantId, spec) {
      const sb = stubFor(tenantId);
      const current = await gatewayStatus(sb, tenantId);
      if (current.state === "ready") return current;
      for (const dir of [P.state, P.workspace, P.tmp, P.home, `${ROOT}/logs`]) await sb.mkdir(dir, { recursive: true });
      await sb.writeFile(P.config, JSON.stringify(containerConfig(spec.config)));
      const env = { ...baseEnv, ...spec.env, OPENCLAW_GATEWAY_TOKEN: await gatewayToken(tenantId) };
      envs.set(tenantId, spec.env);
      const proc = await sb.startProcess("start-gateway", { processId: PROCESS_ID, env: { ...env, GATEWAY_PORT: String(GATEWAY_PORT) } });
      try {
        await proc.waitForPort(GATEWAY_PORT, { path: "/readyz", status: 200, timeout: 90_000 });
      } catch (e) {
        throw new RuntimeError(`OpenClaw ${OPENCLAW_VERSION} did not become ready: ${e instanceof Error ? e.message : e}`);
      }
      return { state: "ready", lastError: null };
    },
    async stop(tenantId) {
      const sb = stubFor(tenantId);
      await sb.killProcess(PROCESS_ID, "SIGTERM").catch(() => undefined);
      // Stopped means stopped: its databases are closed before saveState archives them.
      for (const deadline = Date.now() + STOP_WAIT_MS; Date.now() < deadline; await new Promise((r) => setTimeout(r, 250))) {
        if ((await sb.getProcess(PROCESS_ID).catch(() => null))?.status !== "running") return;
      }
      await sb.killProcess(PROCESS_ID, "SIGKILL").catch(() => undefined);
    },
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
    async applyConfig(tenantId, config) {
      await stubFor(tenantId).writeFile(P.config, JSON.stringify(containerConfig(config)));
      // The gateway's output is not streamed to the Worker here, so give OpenClaw its usual reload
      // time (file watcher ~0.5 s plus the reload) instead of waiting for the outcome as the host does.
      await new Promise((res) => setTimeout(res, RELOAD_WAIT_MS));
    },
    async writeFiles(tenantId, files) {
      const sb = stubFor(tenantId);
      for (const f of files) {
        if (f.path.split("/").includes("..") || f.path.startsWith("/")) throw new RuntimeError("path escapes the workspace", 400);
        const full = `${P.workspace}/${f.path}`;
        await sb.mkdir(full.slice(0, full.lastIndexOf("/")), { recursive: true });
        await sb.writeFile(full, toBase64(f.content), { encoding: "base64" });
      }
    },
    async listFiles(tenantId, under) {
      if (under !== undefined && !/^[A-Za-z0-9_-]{1,64}$/.test(under)) throw new RuntimeError("bad workspace folder", 400);
      const r = await stubFor(tenantId).exec(`mkdir -p ${P.workspace} && cd ${P.workspace} && find ./${under ?? ""} -type f -not -path '*/.git/*' -print0 | xargs -0 -r sha256sum | while read h f; do printf '%s\\t%s\\t%s\\n' "$h" "$(stat -c %s "$f")" "\${f#./}"; done`);
      return r.stdout
        .split("\n")
        .filter(Boolean)
        .map((line): WorkspaceFile => {
          const [sha256, size, path] = line.split("\t") as [string, string, string];
          return { path, size: Number(size), sha256 };
        });
    },
    async readFile(tenantId, path) {
      if (path.split("/").includes("..")) throw new RuntimeError("path escapes the workspace", 400);
      return fromBase64((await stubFor(tenantId).readFile(`${P.workspace}/${path}`, { encoding: "base64" })).content);
    },
    async cli(tenantId, args) {
      if (!ALLOWED_CLI.some((re) => re.test(args.join(" ")))) throw new RuntimeError(`command not allowed: ${args.join(" ")}`, 403);
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
