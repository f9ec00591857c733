// A gateway's config on the host: the Worker's generated config with this host's paths and port
// filled in, written for a gateway, and hot-reloaded into a running one (waiting for OpenClaw's
// reload outcome and for the tenant's agents to be listed).
import { createHash } from "node:crypto";
import { readFile, writeFile } from "node:fs/promises";
import { placeConfig, PROXY_PROVIDER, resolveRefs, type StartSpec } from "@autoclaw/runtime-protocol";
import { reloadOutcome, sleep, type GatewayPaths } from "./gateway.ts";
import { HostHttpError, type Tenant } from "./tenant.ts";

/** The pool's throwaway agent, answered by the host's own warm-up endpoint. */
export const WARMUP_AGENT = "pool-warmup";
/** How long a config change may take to show its reload outcome in the gateway's output. */
const RELOAD_TIMEOUT_MS = 15_000;

/** The generated config with this host's paths and port filled in. */
export function renderConfig(p: GatewayPaths, spec: Pick<StartSpec, "config" | "env">, port: number, warmupWorkspace?: string): string {
  const config = placeConfig(resolveRefs(spec.config, spec.env), { port, workspace: p.workspace, logFile: p.openclawLog });
  if (warmupWorkspace) config.agents.entries[WARMUP_AGENT] = { ...config.agents.entries[WARMUP_AGENT]!, workspace: warmupWorkspace };
  return JSON.stringify(config, null, 2);
}

/** Writes the tenant's config for its gateway, remembering which model token it now holds. */
export async function writeTenantConfig(t: Tenant, p: GatewayPaths, text: string) {
  await writeFile(p.config, text, { mode: 0o600 });
  const key = (JSON.parse(text) as { models?: { providers?: Record<string, { apiKey?: string }> } }).models?.providers?.[PROXY_PROVIDER]
    ?.apiKey;
  t.tokenHash = key ? createHash("sha256").update(key).digest("hex") : undefined;
}

/**
 * Writes the tenant's config over its running gateway's and resolves once OpenClaw has hot-reloaded
 * it (its file watcher waits ~0.5 s, the reload takes as long again or more) and lists the tenant's
 * agents, so the next turn sees the change. A reload OpenClaw reports as failed is an error.
 */
export async function reloadConfig(t: Tenant, p: GatewayPaths, log: (line: string) => void) {
  const next = renderConfig(p, t.spec!, t.port!);
  // An unchanged file gives OpenClaw nothing to reload (and so no outcome to wait for).
  if ((await readFile(p.config, "utf8").catch(() => "")) === next) return;
  const outcome = reloadOutcome(t.child!, RELOAD_TIMEOUT_MS);
  await writeTenantConfig(t, p, next);
  const line = await outcome;
  if (line === undefined) log(`[runtime-host] tenant ${t.id}: no reload outcome from the gateway within ${RELOAD_TIMEOUT_MS / 1000} s`);
  else if (/failed|skipped/.test(line)) throw new HostHttpError(502, `OpenClaw did not apply the config: ${line}`, "refused");
  // Usually listed at once; a reload that restarted the gateway in-process lists them a little later.
  await waitForAgents(t, Object.keys(t.spec!.config.agents.entries));
}

/** Polls the gateway's model list until every one of these agents is there. */
async function waitForAgents(t: Tenant, agentIds: string[]) {
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
