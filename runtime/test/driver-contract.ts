// One contract for every TenantRuntime driver: what the rest of the Worker relies on.
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { tenantOpenclawConfig } from "../../api/src/runtime/openclaw-config";
import type { RuntimeDriver } from "../../api/src/runtime/runtime";

export interface ContractSetup {
  driver: RuntimeDriver;
  tenantId: string;
}

export function driverContract(name: string, setup: () => Promise<ContractSetup>) {
  describe(`TenantRuntime driver contract: ${name}`, () => {
    let d: RuntimeDriver;
    let t: string;
    const spec = {
      config: tenantOpenclawConfig({ agents: [{ id: "ag_contract00000000000000000", name: "C", model: "custom/echo" }], modelProxyUrl: "http://127.0.0.1:9/api/model/v1", restrictTools: true }),
      env: { AUTOCLAW_MODEL_TOKEN: "rt_contract" },
    };

    it("is stopped before it starts, ready after", async () => {
      ({ driver: d, tenantId: t } = await setup());
      expect((await d.status(t)).state).toBe("stopped");
      expect(await d.start(t, spec)).toEqual({ state: "ready", lastError: null });
      expect((await d.status(t)).state).toBe("ready");
    });

    it("writes, lists (with SHA-256) and reads workspace files", async () => {
      const content = new TextEncoder().encode("# Notes\nhello\n");
      await d.writeFiles(t, [{ path: "ag_contract00000000000000000/notes/a.md", content }]);
      const listed = (await d.listFiles(t)).find((f) => f.path === "ag_contract00000000000000000/notes/a.md");
      expect(listed).toEqual({ path: "ag_contract00000000000000000/notes/a.md", size: content.length, sha256: createHash("sha256").update(content).digest("hex") });
      expect(new TextDecoder().decode(await d.readFile(t, "ag_contract00000000000000000/notes/a.md"))).toBe("# Notes\nhello\n");
      // One agent's folder only (what a turn mirrors to R2).
      await d.writeFiles(t, [{ path: "ag_other/b.md", content }]);
      expect((await d.listFiles(t, "ag_contract00000000000000000")).map((f) => f.path)).toEqual(["ag_contract00000000000000000/notes/a.md"]);
      expect((await d.listFiles(t)).map((f) => f.path)).toEqual(expect.arrayContaining(["ag_contract00000000000000000/notes/a.md", "ag_other/b.md"]));
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
      expect(models.data.map((m) => m.id)).toContain("openclaw/ag_contract00000000000000000");
    });

    it("applies a new config to the running gateway, done when the gateway knows it", async () => {
      const next = tenantOpenclawConfig({ agents: [{ id: "ag_contract00000000000000000", name: "C2", model: "custom/echo" }, { id: "ag_second000000000000000000", name: "S", model: "custom/echo" }], modelProxyUrl: "http://127.0.0.1:9/api/model/v1", restrictTools: true });
      await d.applyConfig(t, next);
      const ids = ((await (await d.gatewayFetch(t, "/v1/models", { method: "GET" })).json()) as { data: { id: string }[] }).data.map((m) => m.id);
      expect(ids).toContain("openclaw/ag_second000000000000000000");
      await d.applyConfig(t, next); // unchanged: nothing to reload, nothing to wait for
    });

    it("stops", async () => {
      await d.stop(t);
      expect((await d.status(t)).state).toBe("stopped");
    });
  });
}
