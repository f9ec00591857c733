// The `host` driver: HTTP to the local runtime host (runtime/src/host.ts) with its shared secret.
import type { TenantOpenclawConfig } from "./openclaw-config";
import { fromBase64, RuntimeError, toBase64, type CliResult, type DriverStatus, type RuntimeDriver, type StartSpec, type WorkspaceFile } from "./runtime";

export function hostDriver(baseUrl: string, secret: string, fetcher: typeof fetch = fetch): RuntimeDriver {
  const base = baseUrl.replace(/\/+$/, "");
  async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
    let res: Response;
    try {
      res = await fetcher(`${base}${path}`, { method, headers: { authorization: `Bearer ${secret}`, "content-type": "application/json" }, ...(body !== undefined && { body: JSON.stringify(body) }) });
    } catch (e) {
      throw new RuntimeError(`The runtime host is unreachable (${e instanceof Error ? e.message : e})`, 503);
    }
    const data = (await res.json().catch(() => ({}))) as T & { error?: string };
    if (!res.ok) throw new RuntimeError(data.error ?? `runtime host answered ${res.status}`, res.status);
    return data;
  }
  const t = (id: string) => `/tenants/${encodeURIComponent(id)}`;
  const status = (s: { state: DriverStatus["state"]; lastError: string | null }): DriverStatus => ({ state: s.state, lastError: s.lastError });

  return {
    kind: "host",
    start: async (id, spec: StartSpec) => status(await call("POST", `${t(id)}/start`, spec)),
    stop: async (id) => void (await call("POST", `${t(id)}/stop`)),
    status: async (id) => status(await call("GET", `${t(id)}/status`)),
    applyConfig: async (id, config: TenantOpenclawConfig) => void (await call("PUT", `${t(id)}/config`, { config })),
    writeFiles: async (id, files) => void (await call("PUT", `${t(id)}/files`, { files: files.map((f) => ({ path: f.path, content: toBase64(f.content) })) })),
    listFiles: async (id, under) => (await call<{ files: WorkspaceFile[] }>("GET", `${t(id)}/files${under ? `?under=${encodeURIComponent(under)}` : ""}`)).files,
    readFile: async (id, path) => fromBase64((await call<{ content: string }>("GET", `${t(id)}/file?path=${encodeURIComponent(path)}`)).content),
    cli: (id, args) => call<CliResult>("POST", `${t(id)}/cli`, { args }),
    gatewayFetch: async (id, path, init) => {
      const headers = new Headers(init.headers);
      headers.set("authorization", `Bearer ${secret}`);
      try {
        return await fetcher(`${base}${t(id)}/gateway${path}`, { ...init, headers });
      } catch (e) {
        throw new RuntimeError(`The runtime host is unreachable (${e instanceof Error ? e.message : e})`, 503);
      }
    },
    logs: async (id, lines) => (await call<{ lines: string[] }>("GET", `${t(id)}/logs?lines=${lines}`)).lines,
  };
}
