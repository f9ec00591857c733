// Faults in the runtime domain with the production (sandbox) driver, its Sandbox stub a recording
// stand-in (the real one needs Docker): containers that restart under us, probes that fail once,
// starts that meet a gateway still running, and starts slower than a run's lease.
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { sandboxStandIn } from "../../runtime/test/sandbox-stand-in";
import { executeRun, reapRuns } from "../src/domain/run-executor";
import { ensureRuntimeReady, runtimeStatus, stopIdleRuntimes, tenantForModelToken } from "../src/domain/runtime";
import { IDLE_STOP_MS } from "../src/drivers/driver";
import { agentOnFakeModel, sandboxRuntime, signUpWithTeam, unique } from "./helpers";

/** A queued run written straight to D1, for this test's own executor (the Worker's queue consumer runs in direct mode). */
async function queuedRun(tenantId: string, agentId: string, input: string) {
  const id = `run_${unique("rt").replace(/[^a-z0-9]/gi, "")}`;
  await env.DB.prepare(
    "insert into runs (id, tenant_id, agent_id, status, source, input, model, created_at, updated_at) values (?, ?, ?, 'queued', 'api', ?, 'custom/echo', ?, ?)",
  )
    .bind(id, tenantId, agentId, input, Date.now(), Date.now())
    .run();
  return id;
}

const workspaceKeys = async (tenantId: string, agentId: string) =>
  (await env.ARTIFACTS.list({ prefix: `tenant/${tenantId}/openclaw/workspace/${agentId}/` })).objects
    .map((o) => o.key.slice(o.key.lastIndexOf(`${agentId}/`) + agentId.length + 1))
    .sort();

describe("sandbox runtime faults", () => {
  it("the cron's idle stop of a sandbox whose container restarted keeps every workspace file in R2", async () => {
    const { api, team } = await signUpWithTeam("sb-restart");
    const agent = await agentOnFakeModel(api);
    const { standIn, rt, runs } = sandboxRuntime();
    // One turn: the workspace goes into the container and its manifest is written back to R2.
    const runId = await queuedRun(team.id, agent.id, "hello");
    expect(await executeRun(runs, runId)).toEqual({ kind: "done" });
    const before = await workspaceKeys(team.id, agent.id);
    expect(before).toEqual(expect.arrayContaining(["AGENTS.md", "IDENTITY.md", "SOUL.md"]));

    // The container is replaced behind the platform's back: a fresh disk, no gateway.
    standIn.restartContainer();
    await stopIdleRuntimes(rt, new Date(Date.now() + IDLE_STOP_MS + 60_000));
    expect((await runtimeStatus(rt, team.id)).state).toBe("stopped");
    expect(await workspaceKeys(team.id, agent.id)).toEqual(before);
  });

  it("one failed status probe leaves a serving runtime ready", async () => {
    const { team } = await signUpWithTeam("sb-probe");
    const { standIn, rt } = sandboxRuntime();
    await ensureRuntimeReady(rt, team.id);
    standIn.failNext("getProcess");
    expect((await runtimeStatus(rt, team.id)).state).toBe("ready");
    expect((await runtimeStatus(rt, team.id)).state).toBe("ready");
  });

  it("a start that finds the gateway still running gives it the secrets D1 now holds", async () => {
    const { team } = await signUpWithTeam("sb-rekey");
    const { standIn, rt } = sandboxRuntime();
    await ensureRuntimeReady(rt, team.id);
    const gatewayToken = () => standIn.processes.get("openclaw-gateway")!.env.AUTOCLAW_MODEL_TOKEN!;
    expect(await tenantForModelToken(rt.db, gatewayToken())).toBe(team.id);
    // D1 left `error` (a lapsed start lease, or a probe that failed) while the gateway kept serving.
    await env.DB.prepare("update tenant_openclaw_runtime set state = 'error' where tenant_id = ?").bind(team.id).run();
    await ensureRuntimeReady(rt, team.id);
    expect(standIn.processes.get("openclaw-gateway")!.status).toBe("running");
    // The model proxy accepts what the running gateway presents: nobody is locked out.
    expect(await tenantForModelToken(rt.db, gatewayToken())).toBe(team.id);
  });

  it("a run whose start outlasts its lease is not reaped while it works, and succeeds", async () => {
    const { api, team } = await signUpWithTeam("sb-lease");
    const agent = await agentOnFakeModel(api);
    // A container that takes longer to start than a run's lease (starts may take up to 120 s).
    const { runs } = sandboxRuntime(sandboxStandIn({ startMs: 7000 }), { RUN_LEASE_SECONDS: 3 });
    const runId = await queuedRun(team.id, agent.id, "slow start");
    let finished = false;
    const execution = executeRun(runs, runId).finally(() => (finished = true));
    // The reaper runs (every minute in production) while the run works.
    while (!finished) {
      await reapRuns(runs);
      await new Promise((r) => setTimeout(r, 500));
    }
    await execution;
    expect(await api.runs.get.query({ id: runId })).toMatchObject({ status: "succeeded", output: "Echo: slow start", attempts: 1 });
  }, 120_000);

  it("a runtime that was ready before workspaces had markers gets one at its next turn; what its disk held is kept aside", async () => {
    const { api, team } = await signUpWithTeam("sb-upgrade");
    const agent = await agentOnFakeModel(api);
    const { standIn, rt, runs } = sandboxRuntime();
    await ensureRuntimeReady(rt, team.id);
    // As an older AutoClaw left it: no marker on the disk, no workspace id in D1, a file of the agent's.
    standIn.files.delete("/data/tenant/workspace/.autoclaw/workspace.json");
    standIn.files.set(`/data/tenant/workspace/${agent.id}/notes/old.md`, new TextEncoder().encode("from before"));
    await env.DB.prepare("update tenant_openclaw_runtime set workspace_id = null where tenant_id = ?").bind(team.id).run();
    const runId = await queuedRun(team.id, agent.id, "after the upgrade");
    expect(await executeRun(runs, runId)).toEqual({ kind: "done" });
    expect(await api.runs.get.query({ id: runId })).toMatchObject({ status: "succeeded", attempts: 1 });
    const row = await env.DB.prepare("select workspace_id from tenant_openclaw_runtime where tenant_id = ?")
      .bind(team.id)
      .first<{ workspace_id: string | null }>();
    expect(row?.workspace_id).toMatch(/^ws_/);
    expect(new TextDecoder().decode(standIn.files.get("/data/tenant/workspace/.autoclaw/workspace.json"))).toContain(row!.workspace_id!);
    const aside = [...standIn.files.keys()].filter((k) => k.startsWith("/data/tenant/superseded/") && k.endsWith("/notes/old.md"));
    expect(aside).toHaveLength(1);
  });
});
