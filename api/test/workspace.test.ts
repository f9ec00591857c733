// Agents' workspaces after their turns, with the production (sandbox) driver against the recording
// stand-in of a container, where the test plays the agent: it writes, overwrites and deletes files
// in the container between turns, as the agent's tools would.
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { createDb } from "../src/db/client";
import { executeRun } from "../src/domain/run-executor";
import { pruneWorkspaceVersions } from "../src/domain/workspace";
import { VERSION_RETENTION_DAYS, WORKSPACE_LIMITS } from "@autoclaw/runtime-protocol";
import { agentOnFakeModel, sandboxRuntime, signUpWithTeam, unique } from "./helpers";

const enc = new TextEncoder();

async function setup(label: string) {
  const { api, team } = await signUpWithTeam(label);
  const agent = await agentOnFakeModel(api);
  const { standIn, runs: deps } = sandboxRuntime();
  const folder = `/data/tenant/workspace/${agent.id}`;
  /** One turn of the agent; `agentDoes` is what the agent does to its folder during it. */
  const turn = async (input: string, agentDoes: (files: Map<string, Uint8Array>) => void = () => undefined) => {
    const id = `run_${unique("ws").replace(/[^a-z0-9]/gi, "")}`;
    await env.DB.prepare(
      "insert into runs (id, tenant_id, agent_id, status, source, input, model, created_at, updated_at) values (?, ?, ?, 'queued', 'api', ?, 'custom/echo', ?, ?)",
    )
      .bind(id, team.id, agent.id, input, Date.now(), Date.now())
      .run();
    const realFetch = standIn.stub.containerFetch;
    // The agent acts while its turn runs in the gateway.
    standIn.stub.containerFetch = async (url, init, port) => {
      if (new URL(url).pathname === "/v1/chat/completions") agentDoes(standIn.files);
      return realFetch(url, init, port);
    };
    try {
      expect(await executeRun(deps, id)).toEqual({ kind: "done" });
    } finally {
      standIn.stub.containerFetch = realFetch;
    }
    return api.runs.get.query({ id });
  };
  return { api, team, agent, standIn, folder, turn };
}

describe("workspace mirroring after turns", () => {
  it("keeps the previous content of a file the agent overwrites or deletes, listed as versions", async () => {
    const { api, agent, folder, turn } = await setup("ws-versions");
    await turn("first", (f) => f.set(`${folder}/notes/plan.md`, enc.encode("plan v1")));
    expect((await api.agents.files.query({ id: agent.id })).find((f) => f.path === "notes/plan.md")).toMatchObject({
      size: 7,
      versions: 0,
    });

    const second = await turn("second", (f) => {
      f.set(`${folder}/notes/plan.md`, enc.encode("plan v2, longer"));
      f.delete(`${folder}/SOUL.md`);
    });
    const files = await api.agents.files.query({ id: agent.id });
    expect(files.find((f) => f.path === "notes/plan.md")).toMatchObject({ size: 15, versions: 1 });
    expect(files.map((f) => f.path)).not.toContain("SOUL.md");
    const versions = await api.agents.fileVersions.query({ agentId: agent.id });
    expect(versions.map((v) => [v.path, v.reason, v.runId])).toEqual(
      expect.arrayContaining([
        ["notes/plan.md", "overwritten", second.id],
        ["SOUL.md", "deleted", second.id],
      ]),
    );
    const plan = versions.find((v) => v.path === "notes/plan.md")!;
    expect(new Date(plan.expiresAt).getTime() - new Date(plan.at).getTime()).toBe(VERSION_RETENTION_DAYS * 86_400_000);
    // The kept content is the previous one, in R2.
    const [kept] = (await env.ARTIFACTS.list({ prefix: `tenant/` })).objects.filter((o) =>
      o.key.includes(`/versions/${agent.id}/notes/plan.md/`),
    );
    expect(await (await env.ARTIFACTS.get(kept!.key))!.text()).toBe("plan v1");
    expect(await api.agents.fileVersions.query({ agentId: agent.id, path: "SOUL.md" })).toHaveLength(1);
  });

  it("deletes versions past their retention, object and record", async () => {
    const { api, agent, folder, turn } = await setup("ws-prune");
    await turn("one", (f) => f.set(`${folder}/a.md`, enc.encode("a1")));
    await turn("two", (f) => f.set(`${folder}/a.md`, enc.encode("a2")));
    const [version] = await api.agents.fileVersions.query({ agentId: agent.id, path: "a.md" });
    expect(version).toBeDefined();
    const prefix = `tenant/${(await api.tenants.list.query())[0]!.id}/openclaw/versions/${agent.id}/a.md/`;
    expect((await env.ARTIFACTS.list({ prefix })).objects).toHaveLength(1);
    await pruneWorkspaceVersions(
      { db: createDb(env.DB), bucket: env.ARTIFACTS },
      new Date(Date.now() + (VERSION_RETENTION_DAYS + 1) * 86_400_000),
    );
    expect(await api.agents.fileVersions.query({ agentId: agent.id, path: "a.md" })).toEqual([]);
    expect((await env.ARTIFACTS.list({ prefix })).objects).toHaveLength(0);
  });

  it("skips files the platform refuses (too large, a name it cannot store) and names each on the run; later turns keep working", async () => {
    const { api, agent, folder, turn } = await setup("ws-refused");
    const run = await turn("big", (f) => {
      f.set(`${folder}/big.bin`, new Uint8Array(WORKSPACE_LIMITS.fileBytes + 1));
      f.set(`${folder}/line\nbreak.md`, enc.encode("x"));
      f.set(`${folder}/fine.md`, enc.encode("fine"));
    });
    expect(run).toMatchObject({ status: "succeeded", attempts: 1 });
    const warnings = run.events.filter((e) => e.kind === "warning").map((e) => e.message);
    expect(warnings).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^big\.bin was not saved: it is larger than 10 MiB/),
        expect.stringMatching(/^line\nbreak\.md was not saved: its name contains control characters/),
      ]),
    );
    const paths = (await api.agents.files.query({ id: agent.id })).map((f) => f.path);
    expect(paths).toContain("fine.md");
    expect(paths).not.toContain("big.bin");
    expect(await turn("again")).toMatchObject({ status: "succeeded", attempts: 1 });
  });

  it("an agent folder that comes back empty is never read as the agent deleting everything: nothing is deleted, the run says so", async () => {
    const { api, agent, folder, turn } = await setup("ws-empty");
    await turn("first");
    const before = (await api.agents.files.query({ id: agent.id })).map((f) => f.path).sort();
    expect(before).toEqual(expect.arrayContaining(["AGENTS.md", "IDENTITY.md", "SOUL.md"]));
    const run = await turn("empty", (f) => {
      for (const k of [...f.keys()]) if (k.startsWith(`${folder}/`)) f.delete(k);
    });
    expect(run.status).toBe("succeeded");
    expect(run.events.find((e) => e.kind === "warning")?.message).toMatch(/folder is empty.*nothing was deleted/);
    expect((await api.agents.files.query({ id: agent.id })).map((f) => f.path).sort()).toEqual(before);
    expect(await api.agents.fileVersions.query({ agentId: agent.id })).toEqual([]);
  });
});
