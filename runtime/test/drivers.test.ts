// The driver contract, run against both drivers.
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { hostDriver } from "../../api/src/drivers/host-driver";
import { tenantOpenclawConfig } from "@autoclaw/runtime-protocol";
import { sandboxDriver } from "../../api/src/drivers/sandbox-driver";
import { RuntimeHost } from "../src/host";
import { driverContract } from "./driver-contract";
import { sandboxStandIn } from "./sandbox-stand-in";

let host: RuntimeHost | undefined;
afterAll(() => host?.close(), 60_000);

driverContract("host driver against the local runtime host (real openclaw gateway)", async () => {
  const secret = `contract-secret-${"y".repeat(32)}`;
  host = new RuntimeHost({
    port: 0,
    secret,
    dataDir: await mkdtemp(path.join(tmpdir(), "autoclaw-contract-")),
    idleMs: 3_600_000,
    log: () => undefined,
  });
  const port = await host.listen();
  return { driver: hostDriver(`http://127.0.0.1:${port}`, secret), tenantId: "tenant-contract" };
});

const standIn = sandboxStandIn();
driverContract("sandbox driver against a recording stand-in for the Sandbox stub (no Docker engine here)", async () => ({
  driver: sandboxDriver(
    () => standIn.stub,
    async (tenantId) => `gw-token-for-${tenantId}`,
  ),
  tenantId: "tenant-sandbox",
}));

describe("sandbox driver specifics (recorded calls)", () => {
  it("starts openclaw in the container with the model token and a gateway token, and nothing else secret", () => {
    const start = standIn.calls.find((c) => c.method === "startProcess")!;
    expect(start.args[0]).toBe("start-gateway"); // runtime/start-gateway.sh in the image
    const env = (start.args[1] as { env: Record<string, string> }).env;
    expect(env).toMatchObject({
      AUTOCLAW_MODEL_TOKEN: "rt_contract_1",
      OPENCLAW_GATEWAY_TOKEN: "gw-token-for-tenant-sandbox",
      OPENCLAW_STATE_DIR: "/data/tenant/state",
    });
    expect(Object.keys(env).sort()).toEqual([
      "AUTOCLAW_MODEL_TOKEN",
      "GATEWAY_PORT",
      "HOME",
      "NODE_ENV",
      "OPENCLAW_CONFIG_PATH",
      "OPENCLAW_GATEWAY_TOKEN",
      "OPENCLAW_STATE_DIR",
      "TMPDIR",
    ]);
  });

  it("writes the config with container paths and the gateway port, and fetches the gateway with its token", () => {
    const config = JSON.parse(new TextDecoder().decode(standIn.files.get("/data/tenant/state/openclaw.json")!));
    expect(config.gateway).toMatchObject({ port: 18789, bind: "loopback" });
    expect(config.agents.entries.ag_contract00000000000000000.workspace).toBe("/data/tenant/workspace/ag_contract00000000000000000");
    const fetches = standIn.calls.filter((c) => c.method === "containerFetch");
    expect(fetches.length).toBeGreaterThan(0);
    for (const f of fetches)
      expect((f.args[1] as { headers: Record<string, string> }).headers.authorization).toBe("Bearer gw-token-for-tenant-sandbox");
  });

  it("hands over OpenClaw's conversations at a stop and puts them back into a new container before its gateway starts", async () => {
    const driver = sandboxDriver(
      () => standIn.stub,
      async (tenantId) => `gw-token-for-${tenantId}`,
    );
    const spec = {
      generation: 1,
      config: tenantOpenclawConfig({
        agents: [{ id: "ag_talk", name: "T", model: "custom/echo" }],
        modelProxyUrl: "http://127.0.0.1:9/api/model/v1",
        restrictTools: true,
      }),
      env: { AUTOCLAW_MODEL_TOKEN: "rt_x" },
    };
    const db = "/data/tenant/state/agents/ag_talk/agent/openclaw-agent.sqlite";
    await driver.start("tenant-sandbox", spec);
    standIn.files.set(db, new Uint8Array([83, 81, 76, 105, 116, 101, 0, 1, 2, 3])); // what OpenClaw wrote during a conversation
    await driver.stop("tenant-sandbox");
    expect(standIn.processes.get("openclaw-gateway")!.status).not.toBe("running");
    const archive = (await driver.saveState!("tenant-sandbox"))!;
    // The container slept: a new one has an empty disk.
    standIn.restartContainer();
    const from = standIn.calls.length;
    await driver.restoreState!("tenant-sandbox", archive);
    await driver.start("tenant-sandbox", spec);
    expect(standIn.files.get(db)).toEqual(new Uint8Array([83, 81, 76, 105, 116, 101, 0, 1, 2, 3]));
    const order = standIn.calls.slice(from).map((c) => c.method);
    expect(order.lastIndexOf("exec")).toBeLessThan(order.indexOf("startProcess")); // the archive is unpacked before the gateway starts
    // Into a running gateway nothing is restored: its own state is newer.
    standIn.files.set(db, new Uint8Array([9]));
    await driver.restoreState!("tenant-sandbox", archive);
    expect(standIn.files.get(db)).toEqual(new Uint8Array([9]));
    // No conversations yet: nothing to keep.
    standIn.files.delete(db);
    await driver.stop("tenant-sandbox");
    expect(await driver.saveState!("tenant-sandbox")).toBeNull();
  });
});
