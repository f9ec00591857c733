// The runtime domain with the production (sandbox) driver, its Sandbox stub a recording stand-in
// (the real one needs Docker): a container's disk goes when it sleeps, so the platform stops idle
// runtimes itself and keeps OpenClaw's conversations in R2 across stops.
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { ensureRuntimeReady, runtimeStatus, startRuntime, stopIdleRuntimes } from "../src/domain/runtime";
import { byPlatform } from "../src/domain/audit";
import { IDLE_STOP_MS } from "../src/drivers/driver";
import { agentOnFakeModel, sandboxRuntime, signUpWithTeam } from "./helpers";

const SESSIONS = "/data/tenant/state/agents/ag_talk/agent/openclaw-agent.sqlite";

describe("sandbox runtimes: idle stop and conversations kept across containers", () => {
  it("stops an idle runtime, saves its conversations to R2, and puts them back before the next start", async () => {
    const { team } = await signUpWithTeam("sandbox");
    const { standIn, rt: deps } = sandboxRuntime();
    await ensureRuntimeReady(deps, team.id);
    expect((await runtimeStatus(deps, team.id)).state).toBe("ready");
    const conversation = new TextEncoder().encode("SQLite format 3\0 a conversation");
    standIn.files.set(SESSIONS, conversation);

    // Not idle yet: left running.
    expect(await stopIdleRuntimes(deps)).toBe(0);
    expect(standIn.processes.get("openclaw-gateway")!.status).toBe("running");

    // Idle past the limit (the cron's view of the clock): stopped, its conversations in R2.
    const later = new Date(Date.now() + IDLE_STOP_MS + 60_000);
    expect(await stopIdleRuntimes(deps, later)).toBeGreaterThanOrEqual(1);
    expect((await runtimeStatus(deps, team.id)).state).toBe("stopped");
    expect(standIn.processes.get("openclaw-gateway")!.status).not.toBe("running");
    expect(await env.ARTIFACTS.head(`tenant/${team.id}/openclaw/state/agents.tgz`)).not.toBeNull();

    // The container slept and its disk is gone; the next start brings the conversations back first.
    standIn.restartContainer();
    await ensureRuntimeReady(deps, team.id);
    expect((await runtimeStatus(deps, team.id)).state).toBe("ready");
    expect(standIn.files.get(SESSIONS)).toEqual(conversation);
  });
});

describe("starting a runtime", () => {
  it("needs an agent: a team without one gets a clear refusal and no gateway", async () => {
    const { api, team } = await signUpWithTeam("no-agents");
    const { standIn, rt } = sandboxRuntime();
    await expect(startRuntime(rt, team.id, byPlatform)).rejects.toThrow("Create an agent first: a runtime runs a team's agents");
    expect(standIn.calls.filter((c) => c.method === "startProcess")).toEqual([]);
    expect((await runtimeStatus(rt, team.id)).state).toBe("stopped");
    await agentOnFakeModel(api);
    expect((await startRuntime(rt, team.id, byPlatform)).state).toBe("ready");
  });
});
