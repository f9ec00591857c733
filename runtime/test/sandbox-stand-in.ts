// A recording stand-in for a @cloudflare/sandbox stub. The real Sandbox needs a Docker engine,
// which this machine does not have; this keeps an in-memory container (files, one gateway process)
// and records every call, so the sandbox driver can be held to the same contract as the host driver.
import { createHash } from "node:crypto";
import type { SandboxLike } from "../../api/src/runtime/sandbox-driver";

export interface RecordedCall {
  method: string;
  args: unknown[];
}

export function sandboxStandIn() {
  const files = new Map<string, Uint8Array>();
  const processes = new Map<string, { command: string; env: Record<string, string>; status: string }>();
  const calls: RecordedCall[] = [];
  const record = (method: string, ...args: unknown[]) => calls.push({ method, args });
  const enc = new TextEncoder();

  const stub: SandboxLike = {
    async startProcess(command, options) {
      record("startProcess", command, options);
      processes.set(options?.processId ?? command, { command, env: options?.env ?? {}, status: "running" });
      return { waitForPort: async () => undefined };
    },
    async getProcess(id) {
      record("getProcess", id);
      return processes.get(id) ?? null;
    },
    async killProcess(id, signal) {
      record("killProcess", id, signal);
      const p = processes.get(id);
      if (p) p.status = "killed";
    },
    async exec(command, options) {
      record("exec", command, options);
      // The driver's workspace listing: `… && find ./<agent folder or nothing> -type f … | sha256sum …`.
      const listing = command.match(/^mkdir -p \/data\/tenant\/workspace && cd \/data\/tenant\/workspace && find \.\/(\S*) -type f/);
      if (listing) {
        const root = `/data/tenant/workspace/${listing[1] ? `${listing[1]}/` : ""}`;
        const out = [...files]
          .filter(([p]) => p.startsWith(root))
          .map(([p, c]) => `${createHash("sha256").update(c).digest("hex")}\t${c.length}\t${p.slice("/data/tenant/workspace/".length)}`);
        return { exitCode: 0, stdout: out.join("\n") + "\n", stderr: "" };
      }
      // OpenClaw's state archive (saveState / restoreState); the stand-in's "tar" is JSON of path → base64.
      const archive = "/data/tenant/tmp/openclaw-state.tgz";
      if (command.includes(`tar -czf ${archive} -C /data/tenant/state agents`)) {
        const under = [...files].filter(([p]) => p.startsWith("/data/tenant/state/agents/"));
        if (!under.length) return { exitCode: 0, stdout: "", stderr: "" };
        files.set(archive, enc.encode(JSON.stringify(Object.fromEntries(under.map(([p, c]) => [p, Buffer.from(c).toString("base64")])))));
        return { exitCode: 0, stdout: "archived\n", stderr: "" };
      }
      if (command.startsWith(`tar -xzf ${archive} -C /data/tenant/state`)) {
        const entries = JSON.parse(new TextDecoder().decode(files.get(archive)!)) as Record<string, string>;
        for (const [p, b64] of Object.entries(entries)) files.set(p, Uint8Array.from(Buffer.from(b64, "base64")));
        files.delete(archive);
        return { exitCode: 0, stdout: "", stderr: "" };
      }
      if (command === "openclaw '--version'") return { exitCode: 0, stdout: "OpenClaw 2026.9.6 (stand-in)\n", stderr: "" };
      if (command.startsWith("tail -n")) return { exitCode: 0, stdout: "gateway ready\n", stderr: "" };
      return { exitCode: 127, stdout: "", stderr: `stand-in cannot run: ${command}` };
    },
    async writeFile(path, content, options) {
      record("writeFile", path, options);
      files.set(path, options?.encoding === "base64" ? Uint8Array.from(Buffer.from(content, "base64")) : enc.encode(content));
      return {};
    },
    async readFile(path, options) {
      record("readFile", path, options);
      const c = files.get(path);
      if (!c) throw new Error(`ENOENT: ${path}`);
      return { content: options?.encoding === "base64" ? Buffer.from(c).toString("base64") : new TextDecoder().decode(c) };
    },
    async mkdir(path, options) {
      record("mkdir", path, options);
      return {};
    },
    async containerFetch(url, init, port) {
      record("containerFetch", url, { ...init, headers: Object.fromEntries(new Headers(init.headers)) }, port);
      const gateway = processes.get("openclaw-gateway");
      if (gateway?.status !== "running") throw new Error("connection refused");
      const path = new URL(url).pathname;
      if (path === "/readyz") return new Response("ok");
      if (path === "/v1/models") {
        const config = JSON.parse(new TextDecoder().decode(files.get("/data/tenant/state/openclaw.json")!));
        return Response.json({ object: "list", data: ["openclaw", ...Object.keys(config.agents.entries).map((id) => `openclaw/${id}`)].map((id) => ({ id, object: "model" })) });
      }
      return new Response("not found", { status: 404 });
    },
    async destroy() {
      record("destroy");
    },
  };
  return { stub, calls, files, processes };
}
