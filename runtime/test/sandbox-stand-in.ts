// A recording stand-in for a @cloudflare/sandbox stub. The real Sandbox needs a Docker engine,
// which this machine does not have; this keeps an in-memory container (files, one gateway process)
// and records every call, so the sandbox driver can be held to the same contract as the host driver.
import { createHash } from "node:crypto";
import type { SandboxLike } from "../../api/src/drivers/sandbox-driver";

export interface RecordedCall {
  method: string;
  args: unknown[];
}

export interface StandInOptions {
  /** How long the gateway takes to answer /readyz after startProcess (a slow container start). */
  startMs?: number;
}

const WS = "/data/tenant/workspace";

export function sandboxStandIn(opts: StandInOptions = {}) {
  const files = new Map<string, Uint8Array>();
  /** Directories made with mkdir (a file's folders exist as long as it does). */
  const dirs = new Set<string>();
  const isDir = (d: string) => dirs.has(d) || [...files.keys()].some((p) => p.startsWith(`${d}/`));
  const processes = new Map<string, { command: string; env: Record<string, string>; status: string }>();
  const calls: RecordedCall[] = [];
  /** Calls that will throw next, per method (a container briefly unreachable). */
  const failures = new Map<string, number>();
  const record = (method: string, ...args: unknown[]) => {
    calls.push({ method, args });
    const n = failures.get(method) ?? 0;
    if (n > 0) {
      failures.set(method, n - 1);
      throw new Error(`stand-in: ${method} failed (injected)`);
    }
  };
  const enc = new TextEncoder();

  const stub: SandboxLike = {
    async startProcess(command, options) {
      record("startProcess", command, options);
      processes.set(options?.processId ?? command, { command, env: options?.env ?? {}, status: "running" });
      return { waitForPort: () => new Promise<void>((r) => setTimeout(r, opts.startMs ?? 0)) };
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
      // The workspace listing script (runtime/src/workspace-listing.ts, as the image runs it).
      const listing = command.match(/^node \S+\/workspace-listing\.ts \/data\/tenant\/workspace (\S*) +--marker (\S+) --hash-max (\d+)$/);
      if (listing) {
        const [, under, marker, hashMax] = listing as unknown as [string, string, string, string];
        const root = under ? `${WS}/${under}` : WS;
        if (!isDir(root)) return { exitCode: 2, stdout: "", stderr: `no workspace at ${under ? `${under}/` : "the root"}` };
        const markerBytes = files.get(`${WS}/${marker}`);
        const workspaceId = markerBytes ? ((JSON.parse(new TextDecoder().decode(markerBytes)) as { id?: string }).id ?? null) : null;
        const listed = [...files]
          .filter(([p]) => p.startsWith(`${root}/`) && !p.startsWith(`${WS}/${marker.split("/")[0]}/`))
          .map(([p, c]) => ({
            path: p.slice(WS.length + 1),
            size: c.length,
            sha256: c.length <= Number(hashMax) ? createHash("sha256").update(c).digest("hex") : null,
          }))
          .sort((a, b) => (a.path < b.path ? -1 : 1));
        return { exitCode: 0, stdout: JSON.stringify({ workspaceId, files: listed }), stderr: "" };
      }
      // Moving a workspace aside (supersedeWorkspace).
      const aside = command.match(
        /^if \[ -d \/data\/tenant\/workspace \]; then mkdir -p \/data\/tenant\/superseded && mv \/data\/tenant\/workspace (\S+); fi/,
      );
      if (aside) {
        for (const [p, c] of [...files]) {
          if (!p.startsWith(`${WS}/`)) continue;
          files.set(`${aside[1]}/${p.slice(WS.length + 1)}`, c);
          files.delete(p);
        }
        dirs.add(WS);
        return { exitCode: 0, stdout: "", stderr: "" };
      }
      // Setting a workspace folder aside (setAside).
      const setAside = command.match(
        /^if \[ -e '(\/data\/tenant\/workspace\/[^']+)' \]; then mkdir -p '[^']+' && mv '[^']+' '([^']+)'; fi$/,
      );
      if (setAside) {
        const [, from, to] = setAside as unknown as [string, string, string];
        for (const [p, c] of [...files]) {
          if (!p.startsWith(`${from}/`)) continue;
          files.set(`${to}/${p.slice(from.length + 1)}`, c);
          files.delete(p);
        }
        return { exitCode: 0, stdout: "", stderr: "" };
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
      dirs.add(path);
      return {};
    },
    async containerFetch(url, init, port) {
      record("containerFetch", url, { ...init, headers: Object.fromEntries(new Headers(init.headers)) }, port);
      const gateway = processes.get("openclaw-gateway");
      if (gateway?.status !== "running") throw new Error("connection refused");
      const path = new URL(url).pathname;
      if (path === "/readyz") return new Response("ok");
      if (path === "/v1/chat/completions") {
        // The gateway's agent turn, reduced to an echo (the real one runs OpenClaw and the model).
        const body = JSON.parse(String(init.body)) as { messages: { content: string }[]; stream?: boolean };
        const content = `Echo: ${body.messages.at(-1)!.content}`;
        if (body.stream) {
          // As the gateway streams: one chunk per word, then usage and [DONE].
          const chunks = content.split(/(?= )/).map((piece) => ({ choices: [{ index: 0, delta: { content: piece } }] }));
          const sse = [...chunks, { choices: [], usage: { prompt_tokens: 3, completion_tokens: 2 } }]
            .map((c) => `data: ${JSON.stringify(c)}\n\n`)
            .join("");
          return new Response(`${sse}data: [DONE]\n\n`, { headers: { "content-type": "text/event-stream" } });
        }
        return Response.json({
          id: "c",
          object: "chat.completion",
          choices: [{ index: 0, message: { role: "assistant", content }, finish_reason: "stop" }],
          usage: { prompt_tokens: 3, completion_tokens: 2 },
        });
      }
      if (path === "/v1/models") {
        const config = JSON.parse(new TextDecoder().decode(files.get("/data/tenant/state/openclaw.json")!));
        return Response.json({
          object: "list",
          data: ["openclaw", ...Object.keys(config.agents.entries).map((id) => `openclaw/${id}`)].map((id) => ({ id, object: "model" })),
        });
      }
      return new Response("not found", { status: 404 });
    },
    async destroy() {
      record("destroy");
    },
  };
  return {
    stub,
    calls,
    files,
    processes,
    /** The next `times` calls of `method` throw. */
    failNext(method: keyof SandboxLike, times = 1) {
      failures.set(method, times);
    },
    /** The container was replaced (moved, or slept and woke): a fresh disk and no processes. */
    restartContainer() {
      files.clear();
      dirs.clear();
      processes.clear();
    },
  };
}
