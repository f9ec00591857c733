// The `host` driver: HTTP to the local runtime host (runtime/src/host.ts) with its shared secret.
import {
  fromBase64,
  toBase64,
  type CliResult,
  type DriverStatus,
  type HostError,
  type StartSpec,
  type TenantOpenclawConfig,
  type TurnResult,
  type TurnStreamLine,
  readLines,
  type WorkspaceListing,
} from "@autoclaw/runtime-protocol";
import { RuntimeError, type RuntimeDriver } from "./driver";

/** How much longer than a turn's deadline the Worker waits for the host to report it (the host stops it first). */
const TURN_GRACE_MS = 5_000;

export function hostDriver(baseUrl: string, secret: string, fetcher: typeof fetch = fetch): RuntimeDriver {
  const base = baseUrl.replace(/\/+$/, "");
  async function send(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<Response> {
    try {
      return await fetcher(`${base}${path}`, {
        method,
        headers: { authorization: `Bearer ${secret}`, "content-type": "application/json" },
        ...(body !== undefined && { body: JSON.stringify(body) }),
        ...(signal && { signal }),
      });
    } catch (e) {
      if (signal?.aborted) throw new RuntimeError("The runtime host did not answer in time", 504, "timeout");
      throw new RuntimeError(`The runtime host is unreachable (${e instanceof Error ? e.message : e})`, 503, "unreachable");
    }
  }
  async function answer<T>(res: Response): Promise<T> {
    const data = (await res.json().catch(() => ({}))) as T & HostError;
    if (!res.ok) throw new RuntimeError(data.error ?? `runtime host answered ${res.status}`, res.status, data.code ?? "failed");
    return data;
  }
  const call = async <T>(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<T> =>
    answer<T>(await send(method, path, body, signal));
  const t = (id: string) => `/tenants/${encodeURIComponent(id)}`;
  const status = (s: DriverStatus): DriverStatus => ({
    state: s.state,
    lastError: s.lastError,
    generation: s.generation ?? null,
    tokenHash: s.tokenHash ?? null,
  });

  return {
    kind: "host",
    isolated: false,
    start: async (id, spec: StartSpec) => status(await call("POST", `${t(id)}/start`, spec)),
    stop: async (id) => void (await call("POST", `${t(id)}/stop`)),
    status: async (id) => status(await call("GET", `${t(id)}/status`)),
    applyConfig: async (id, config: TenantOpenclawConfig, skillEnv) => void (await call("PUT", `${t(id)}/config`, { config, skillEnv })),
    setAside: async (id, paths) => void (await call("POST", `${t(id)}/workspace/set-aside`, { paths })),
    writeFiles: async (id, files) =>
      void (await call("PUT", `${t(id)}/files`, { files: files.map((f) => ({ path: f.path, content: toBase64(f.content) })) })),
    listFiles: (id, under) => call<WorkspaceListing>("GET", `${t(id)}/files${under ? `?under=${encodeURIComponent(under)}` : ""}`),
    readFile: async (id, path) =>
      fromBase64((await call<{ content: string }>("GET", `${t(id)}/file?path=${encodeURIComponent(path)}`)).content),
    supersedeWorkspace: async (id) => void (await call("POST", `${t(id)}/workspace/supersede`)),
    // The host stops the turn in the gateway at the deadline; hanging up (our own deadline, or the caller's signal) stops it too.
    turn: async (id, turn, signal, onDelta) => {
      const stop = AbortSignal.any([AbortSignal.timeout(turn.deadlineMs + TURN_GRACE_MS), ...(signal ? [signal] : [])]);
      if (!onDelta) return call<TurnResult>("POST", `${t(id)}/turn`, turn, stop);
      const res = await send("POST", `${t(id)}/turn`, { ...turn, stream: true }, stop);
      if (!res.headers.get("content-type")?.includes("ndjson")) return answer<TurnResult>(res);
      try {
        for await (const line of readLines(res.body!)) {
          if (!line) continue;
          const v = JSON.parse(line) as TurnStreamLine;
          if ("delta" in v) onDelta(v.delta);
          else if ("result" in v) return v.result;
          else throw new RuntimeError(v.error, 502, v.code ?? "failed");
        }
      } catch (e) {
        if (e instanceof RuntimeError) throw e;
        if (stop.aborted) throw new RuntimeError("The runtime host did not answer in time", 504, "timeout");
        throw new RuntimeError(`The runtime host's answer broke off (${e instanceof Error ? e.message : e})`, 502, "unreachable");
      }
      throw new RuntimeError("The runtime host's answer ended before the turn's result", 502, "unreachable");
    },
    cli: (id, args) => call<CliResult>("POST", `${t(id)}/cli`, { args }),
    gatewayFetch: async (id, path, init) => {
      const headers = new Headers(init.headers);
      headers.set("authorization", `Bearer ${secret}`);
      try {
        return await fetcher(`${base}${t(id)}/gateway${path}`, { ...init, headers });
      } catch (e) {
        throw new RuntimeError(`The runtime host is unreachable (${e instanceof Error ? e.message : e})`, 503, "unreachable");
      }
    },
    logs: async (id, lines) => (await call<{ lines: string[] }>("GET", `${t(id)}/logs?lines=${lines}`)).lines,
  };
}
