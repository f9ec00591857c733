// One contract for every TenantRuntime driver: what the rest of the Worker relies on.
import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFakeModel, type FakeModel } from "../../fakes/openai";
import { tenantOpenclawConfig } from "@autoclaw/runtime-protocol";
import type { StartSpec } from "@autoclaw/runtime-protocol";
import { RuntimeError, type RuntimeDriver } from "../../api/src/drivers/driver";

export interface ContractSetup {
  driver: RuntimeDriver;
  tenantId: string;
}

const AGENT = "ag_contract00000000000000000";
const marker = (id: string) => ({ path: ".autoclaw/workspace.json", content: new TextEncoder().encode(JSON.stringify({ id })) });

export function driverContract(name: string, setup: () => Promise<ContractSetup>) {
  describe(`TenantRuntime driver contract: ${name}`, () => {
    let d: RuntimeDriver;
    let t: string;
    let fake: FakeModel;
    let spec: (generation: number, agents?: string[]) => StartSpec;
    beforeAll(async () => {
      fake = await startFakeModel();
      // The model the gateway calls is the fake itself here (the proxy is the Worker's business).
      spec = (generation, agents = [AGENT]) => ({
        generation,
        config: tenantOpenclawConfig({
          agents: agents.map((id) => ({ id, name: "C", model: "echo" })),
          modelProxyUrl: `${fake.url}/v1`,
          restrictTools: true,
        }),
        env: { AUTOCLAW_MODEL_TOKEN: `rt_contract_${generation}` },
      });
    });
    afterAll(() => fake?.close());

    it("is stopped before it starts, ready after, with the start's generation", async () => {
      ({ driver: d, tenantId: t } = await setup());
      expect((await d.status(t)).state).toBe("stopped");
      expect(await d.start(t, spec(1))).toMatchObject({ state: "ready", lastError: null, generation: 1 });
      expect(await d.status(t)).toMatchObject({ state: "ready", generation: 1 });
    });

    it("writes, lists (with SHA-256 and the workspace's marker) and reads workspace files", async () => {
      const content = new TextEncoder().encode("# Notes\nhello\n");
      await d.writeFiles(t, [{ path: `${AGENT}/notes/a.md`, content }, marker("ws_contract")]);
      const listing = await d.listFiles(t);
      expect(listing.workspaceId).toBe("ws_contract");
      expect(listing.files.find((f) => f.path === `${AGENT}/notes/a.md`)).toEqual({
        path: `${AGENT}/notes/a.md`,
        size: content.length,
        sha256: createHash("sha256").update(content).digest("hex"),
      });
      // The marker is the platform's, not a workspace file.
      expect(listing.files.map((f) => f.path)).not.toContain(".autoclaw/workspace.json");
      expect(new TextDecoder().decode(await d.readFile(t, `${AGENT}/notes/a.md`))).toBe("# Notes\nhello\n");
      // One agent's folder only (what a turn mirrors to R2).
      await d.writeFiles(t, [{ path: "ag_other/b.md", content }]);
      expect((await d.listFiles(t, AGENT)).files.map((f) => f.path)).toEqual([`${AGENT}/notes/a.md`]);
      expect((await d.listFiles(t)).files.map((f) => f.path)).toEqual(expect.arrayContaining([`${AGENT}/notes/a.md`, "ag_other/b.md"]));
    });

    it("reports a folder that does not exist as no workspace, never as an empty one", async () => {
      const err = await d.listFiles(t, "ag_nobody").catch((e) => e);
      expect(err).toBeInstanceOf(RuntimeError);
      expect(err.code).toBe("no_workspace");
    });

    it("sets a folder aside: out of the workspace (the agent cannot reach it), the rest untouched", async () => {
      const content = new TextEncoder().encode("---\nname: tmux\n---\n");
      await d.writeFiles(t, [
        { path: `${AGENT}/skills/tmux/SKILL.md`, content },
        { path: `${AGENT}/skills/tmux/notes/x.md`, content },
      ]);
      await d.setAside(t, [`${AGENT}/skills/tmux`, `${AGENT}/skills/not-there`]);
      const paths = (await d.listFiles(t, AGENT)).files.map((f) => f.path);
      expect(paths.filter((p) => p.includes("/skills/tmux/"))).toEqual([]);
      expect(paths).toContain(`${AGENT}/notes/a.md`);
      await expect(d.setAside(t, ["../escape"])).rejects.toThrow(/escapes the workspace/);
    });

    it("refuses paths outside the workspace", async () => {
      await expect(d.writeFiles(t, [{ path: "../outside.txt", content: new Uint8Array() }])).rejects.toThrow(/escapes the workspace/);
      await expect(d.readFile(t, "../../etc/passwd")).rejects.toThrow();
    });

    it("runs allowed openclaw commands only", async () => {
      const v = await d.cli(t, ["--version"]);
      expect(v.code).toBe(0);
      expect(v.stdout).toContain("2026.9.6");
      await expect(d.cli(t, ["gateway", "run"])).rejects.toThrow(/not allowed/);
    });

    it("reaches the gateway's HTTP API with the gateway token attached by the driver", async () => {
      const res = await d.gatewayFetch(t, "/v1/models", { method: "GET" });
      expect(res.status).toBe(200);
      const models = (await res.json()) as { data: { id: string }[] };
      expect(models.data.map((m) => m.id)).toContain(`openclaw/${AGENT}`);
    });

    it("runs a turn and hands back the agent's folder as it is after it", async () => {
      const turn = await d.turn(t, {
        agentId: AGENT,
        sessionKey: `agent:${AGENT}:contract:1`,
        channel: "api",
        input: "contract turn",
        deadlineMs: 60_000,
      });
      expect(turn.status).toBe(200);
      expect((JSON.parse(turn.body) as { choices: { message: { content: string } }[] }).choices[0]!.message.content).toContain(
        "contract turn",
      );
      expect(turn.agentMs).toBeTypeOf("number");
      expect(turn.listing).toEqual(await d.listFiles(t, AGENT));
    }, 60_000);

    it("streams a turn's text as the gateway writes it, and answers the same result as a turn that does not stream", async () => {
      const pieces: string[] = [];
      const turn = await d.turn(
        t,
        { agentId: AGENT, sessionKey: `agent:${AGENT}:contract:2`, channel: "api", input: "contract streamed turn", deadlineMs: 60_000 },
        undefined,
        (text) => pieces.push(text),
      );
      expect(turn.status).toBe(200);
      const content = (JSON.parse(turn.body) as { choices: { message: { content: string } }[] }).choices[0]!.message.content;
      expect(content).toContain("contract streamed turn");
      expect(pieces.length).toBeGreaterThan(0);
      expect(pieces.join("")).toBe(content);
      expect(turn.listing).toEqual(await d.listFiles(t, AGENT));
    }, 60_000);

    it("applies a new config to the running gateway, done when the gateway knows it", async () => {
      const next = spec(1, [AGENT, "ag_second000000000000000000"]).config;
      await d.applyConfig(t, next);
      const ids = ((await (await d.gatewayFetch(t, "/v1/models", { method: "GET" })).json()) as { data: { id: string }[] }).data.map(
        (m) => m.id,
      );
      expect(ids).toContain("openclaw/ag_second000000000000000000");
      await d.applyConfig(t, next); // unchanged: nothing to reload, nothing to wait for
    });

    it("gives a running gateway a newer start's secrets, and refuses an older start", async () => {
      expect(await d.start(t, spec(2, [AGENT, "ag_second000000000000000000"]))).toMatchObject({ state: "ready", generation: 2 });
      expect(await d.status(t)).toMatchObject({ state: "ready", generation: 2 });
      const older = await d.start(t, spec(1)).catch((e) => e);
      expect(older).toBeInstanceOf(RuntimeError);
      expect(older.code).toBe("superseded");
      expect(await d.status(t)).toMatchObject({ state: "ready", generation: 2 });
    }, 90_000);

    it("moves a workspace that is not the live one aside, leaving an empty one", async () => {
      await d.supersedeWorkspace(t);
      expect(await d.listFiles(t)).toEqual({ workspaceId: null, files: [] });
    });

    it("stops", async () => {
      await d.stop(t);
      expect((await d.status(t)).state).toBe("stopped");
    });
  });
}
