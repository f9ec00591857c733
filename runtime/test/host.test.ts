// The local runtime host with real `openclaw gateway` processes (slow: ~10 s per gateway start).
import { execSync } from "node:child_process";
import { existsSync, readFileSync, statSync } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFakeModel, type FakeModel } from "../../fakes/openai";
import { tenantOpenclawConfig } from "@autoclaw/runtime-protocol";
import { OPENCLAW_VERSION, RuntimeHost } from "../src/host";

const SECRET = `host-secret-${"x".repeat(32)}`;
let host: RuntimeHost;
let base: string;
let fake: FakeModel;

/** The generated tenant config, its model provider pointed straight at the fake for these host-level tests. */
const config = (agentId: string, skills?: string[]) =>
  tenantOpenclawConfig({
    agents: [{ id: agentId, name: "Test", model: "echo", skills }],
    modelProxyUrl: `${fake.url}/v1`,
    restrictTools: true,
  });

/** A start of this generation with one agent and this model token. */
const start = (tenant: string, generation: number, agentId: string, modelToken: string) =>
  call("POST", `/tenants/${tenant}/start`, { generation, config: config(agentId), env: { AUTOCLAW_MODEL_TOKEN: modelToken } });

async function call(method: string, p: string, body?: unknown, secret = SECRET) {
  const res = await fetch(base + p, {
    method,
    headers: { authorization: `Bearer ${secret}`, "content-type": "application/json" },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, text, json: text ? JSON.parse(text) : undefined };
}

/** One agent turn through the host; the gateway's own answer as a Response (a host refusal as the host's). */
async function chat(tenant: string, agent: string, content: string, session = `agent:${agent}:test:1`, deadlineMs = 60_000, host = base) {
  const res = await fetch(`${host}/tenants/${tenant}/turn`, {
    method: "POST",
    headers: { authorization: `Bearer ${SECRET}`, "content-type": "application/json" },
    body: JSON.stringify({ agentId: agent, sessionKey: session, channel: "test", input: content, deadlineMs }),
  });
  if (!res.ok) return res;
  const answer = (await res.json()) as { status: number; body: string; listing?: unknown; agentMs: number };
  return Object.assign(new Response(answer.body, { status: answer.status }), { listing: answer.listing, agentMs: answer.agentMs });
}

const environOf = (pid: number) => readFileSync(`/proc/${pid}/environ`, "utf8").split("\0");

beforeAll(async () => {
  fake = await startFakeModel();
  host = new RuntimeHost({
    port: 0,
    secret: SECRET,
    dataDir: await mkdtemp(path.join(tmpdir(), "autoclaw-host-")),
    idleMs: 3_600_000,
    log: () => undefined,
  });
  base = `http://127.0.0.1:${await host.listen()}`;
}, 30_000);
afterAll(async () => {
  await host?.close();
  await fake?.close();
}, 60_000);

describe("runtime host with real OpenClaw gateways", () => {
  it("refuses callers without the shared secret", async () => {
    expect((await call("GET", "/tenants/t1/status", undefined, "wrong")).status).toBe(401);
    expect((await fetch(`${base}/tenants/t1/status`)).status).toBe(401);
    expect((await call("GET", "/health")).json).toMatchObject({ ok: true, version: OPENCLAW_VERSION, pool: 0, gateways: 0 });
  });

  it("starts a tenant's gateway, answers through it, and keeps its tokens out of every answer", async () => {
    const started = await start("tenant-a", 1, "ag_a1", "rt_token_a");
    expect(started.status).toBe(200);
    expect(started.json).toMatchObject({ state: "ready", version: "2026.9.6", lastError: null });
    const res = await chat("tenant-a", "ag_a1", "hello from a");
    expect(res.status).toBe(200);
    const reply = (await res.json()) as { choices: { message: { content: string } }[] };
    expect(reply.choices[0]!.message.content).toContain("Echo:");
    expect(reply.choices[0]!.message.content).toContain("hello from a");
    expect(fake.requests.at(-1)!.authorization).toBe("Bearer rt_token_a");
    const status = await call("GET", "/tenants/tenant-a/status");
    expect(status.text).not.toMatch(/rt_token_a/);
    const gatewayToken = environOf(status.json.pid)
      .find((e) => e.startsWith("OPENCLAW_GATEWAY_TOKEN="))!
      .split("=")[1]!;
    expect(gatewayToken.length).toBeGreaterThan(20);
    for (const r of [started, status, await call("GET", "/tenants/tenant-a/logs")]) expect(r.text).not.toContain(gatewayToken);
  }, 90_000);

  it("gives each tenant its own process, port, files and environment", async () => {
    await start("tenant-b", 1, "ag_b1", "rt_token_b");
    const a = (await call("GET", "/tenants/tenant-a/status")).json;
    const b = (await call("GET", "/tenants/tenant-b/status")).json;
    expect(a.pid).not.toBe(b.pid);
    const envB = environOf(b.pid);
    expect(envB.join("\n")).not.toMatch(/rt_token_a|rt_token_b|host-secret|RUNTIME_HOST_SECRET/);
    expect(envB.find((e) => e.startsWith("OPENCLAW_STATE_DIR="))).toContain("tenant-b");
    // The model token is resolved into B's own config file (0600), nowhere else.
    const configB = path.join((await call("GET", "/tenants/tenant-b/status")).json.dir, "state", "openclaw.json");
    expect(readFileSync(configB, "utf8")).toContain("rt_token_b");
    expect(statSync(configB).mode & 0o077).toBe(0);

    await call("PUT", "/tenants/tenant-a/files", {
      files: [{ path: "ag_a1/notes/secret.md", content: Buffer.from("only for a").toString("base64") }],
    });
    expect((await call("GET", "/tenants/tenant-a/files")).json.files).toContainEqual(
      expect.objectContaining({ path: "ag_a1/notes/secret.md", size: 10 }),
    );
    expect((await call("GET", "/tenants/tenant-b/files")).json.files.map((f: { path: string }) => f.path)).not.toContain(
      "ag_a1/notes/secret.md",
    );
    expect((await call("GET", "/tenants/tenant-b/file?path=ag_a1/notes/secret.md")).status).toBe(404);
    expect((await call("GET", "/tenants/tenant-b/file?path=../tenant-a/workspace/ag_a1/notes/secret.md")).status).toBe(400);
    expect((await call("PUT", "/tenants/tenant-b/files", { files: [{ path: "../../escape.txt", content: "" }] })).status).toBe(400);
    expect(Buffer.from((await call("GET", "/tenants/tenant-a/file?path=ag_a1/notes/secret.md")).json.content, "base64").toString()).toBe(
      "only for a",
    );
    // Tenant B's gateway answers only for B's agents.
    expect((await chat("tenant-b", "ag_a1", "cross")).status).not.toBe(200);
  }, 90_000);

  it("hands back the agent's workspace listing (with the workspace's marker) with a turn's answer: one round trip per turn", async () => {
    await call("PUT", "/tenants/tenant-a/files", {
      files: [
        { path: "ag_a1/listed.md", content: Buffer.from("listed").toString("base64") },
        { path: ".autoclaw/workspace.json", content: Buffer.from(JSON.stringify({ id: "ws_test" })).toString("base64") },
      ],
    });
    const res = (await chat("tenant-a", "ag_a1", "list")) as Response & { listing: { workspaceId: string; files: { path: string }[] } };
    expect(res.status).toBe(200);
    expect(((await res.json()) as { choices: { message: { content: string } }[] }).choices[0]!.message.content).toContain("list");
    expect(res.listing).toEqual((await call("GET", "/tenants/tenant-a/files?under=ag_a1")).json);
    expect(res.listing.workspaceId).toBe("ws_test");
    expect(res.listing.files).toContainEqual(expect.objectContaining({ path: "ag_a1/listed.md", size: 6 }));
    // The marker is not a workspace file, and an agent's folder is the only thing a turn lists.
    expect((await call("GET", "/tenants/tenant-a/files")).json.files.map((f: { path: string }) => f.path)).not.toContain(
      ".autoclaw/workspace.json",
    );
    expect((await chat("tenant-a", "../../tenant-b", "outside")).status).toBe(400);
    // A folder that does not exist is not an empty one.
    expect((await call("GET", "/tenants/tenant-a/files?under=ag_nobody")).json).toMatchObject({ code: "no_workspace" });
  }, 60_000);

  it("shows an agent only its allowed skills, and a config change reaches its next turn", async () => {
    // Skills are the platform's policy: the gateway does not watch skill folders, so the config reload must carry a change.
    const offered = () => [...fake.requests.at(-1)!.messages[0]!.content.matchAll(/<name>([^<]+)<\/name>/g)].map((m) => m[1]);
    await call("POST", "/tenants/tenant-s/start", {
      generation: 1,
      config: config("ag_s1", ["weather"]),
      env: { AUTOCLAW_MODEL_TOKEN: "rt_token_s" },
    });
    expect((await chat("tenant-s", "ag_s1", "which skills?")).status).toBe(200);
    expect(offered()).toEqual(["weather"]);
    expect((await call("PUT", "/tenants/tenant-s/config", { config: config("ag_s1", ["notion", "taskflow"]) })).status).toBe(200);
    // The host answers once OpenClaw has reloaded the config: the very next turn sees it.
    expect((await chat("tenant-s", "ag_s1", "and now?")).status).toBe(200);
    expect(offered().sort()).toEqual(["notion", "taskflow"]);
    // A config OpenClaw refuses is an error, and the gateway keeps the one it runs.
    const refused = await call("PUT", "/tenants/tenant-s/config", {
      config: { ...config("ag_s1", ["weather"]), gateway: { mode: "nonsense" } },
    });
    expect(refused.status).toBe(502);
    expect(refused.json.error).toMatch(/OpenClaw did not apply the config/);
    expect((await chat("tenant-s", "ag_s1", "still the same?")).status).toBe(200);
    expect(offered().sort()).toEqual(["notion", "taskflow"]);
    // Only the agents' API is forwarded: not the gateway's tool invocation (always on in OpenClaw).
    expect((await call("POST", "/tenants/tenant-s/gateway/tools/invoke", { tool: "sessions_list", args: {} })).status).toBe(404);
    // A config that drops one agent and adds another.
    expect((await call("PUT", "/tenants/tenant-s/config", { config: config("ag_s2", ["weather"]) })).status).toBe(200);
    expect((await chat("tenant-s", "ag_s2", "new agent")).status).toBe(200);
    expect(offered()).toEqual(["weather"]);
    expect((await chat("tenant-s", "ag_s1", "gone?")).status).not.toBe(200);
    await call("POST", "/tenants/tenant-s/stop");
  }, 90_000);

  it("a start on a gateway that is already running gives it the new start's secrets", async () => {
    // A start of a new generation must never leave the old model token in a gateway that keeps running.
    expect((await start("tenant-k", 1, "ag_k1", "rt_token_k1")).status).toBe(200);
    const pid = (await call("GET", "/tenants/tenant-k/status")).json.pid;
    expect((await start("tenant-k", 2, "ag_k1", "rt_token_k2")).status).toBe(200);
    expect((await chat("tenant-k", "ag_k1", "which token?")).status).toBe(200);
    expect(fake.requests.at(-1)!.authorization).toBe("Bearer rt_token_k2");
    // The same generation again is the same gateway with the same secrets.
    expect((await start("tenant-k", 2, "ag_k1", "rt_token_k2")).status).toBe(200);
    expect((await call("GET", "/tenants/tenant-k/status")).json.pid).toBe(pid);
    await call("POST", "/tenants/tenant-k/stop");
  }, 90_000);

  it("a turn past its deadline is stopped in the gateway: OpenClaw aborts the agent's model call, and the session takes turns again", async () => {
    // Four tool steps of 8 s each; the deadline falls in the middle of them.
    const slow = tenantOpenclawConfig({
      agents: [{ id: "ag_d1", name: "D", model: "steps-4-8000" }],
      modelProxyUrl: `${fake.url}/v1`,
      restrictTools: true,
    });
    await call("POST", "/tenants/tenant-d/start", { generation: 1, config: slow, env: { AUTOCLAW_MODEL_TOKEN: "rt_token_d" } });
    const t0 = Date.now();
    const res = await chat("tenant-d", "ag_d1", "stall please", "agent:ag_d1:test:1", 20_000);
    expect(res.status).toBe(504);
    expect(await res.json()).toMatchObject({ code: "timeout", error: "The turn took longer than 20 s and was stopped" });
    const ours = () => fake.requests.filter((r) => r.model === "steps-4-8000" && r.startedAt >= t0);
    const calls = ours();
    // The call in flight at the deadline was hung up on by OpenClaw itself, and no step came after it.
    expect(calls.length).toBeGreaterThan(0);
    expect(calls.at(-1)!.abortedAt! - t0).toBeLessThan(21_500);
    await new Promise((r) => setTimeout(r, 9000));
    expect(ours()).toHaveLength(calls.length);
    await call("POST", "/tenants/tenant-d/stop");
  }, 90_000);

  it("runs only allowed OpenClaw CLI commands, and validates candidate configs without touching the running one", async () => {
    const validate = await call("POST", "/tenants/tenant-a/cli", { args: ["config", "validate"], config: config("ag_x") });
    expect(validate.json.code).toBe(0);
    const invalid = await call("POST", "/tenants/tenant-a/cli", {
      args: ["config", "validate"],
      config: { gateway: { mode: "nonsense" } },
    });
    expect(invalid.json.code).not.toBe(0);
    const skills = await call("POST", "/tenants/tenant-a/cli", { args: ["skills", "list", "--json"] });
    expect(JSON.parse(skills.json.stdout).skills.length).toBeGreaterThan(10);
    expect((await call("POST", "/tenants/tenant-a/cli", { args: ["gateway", "run"] })).status).toBe(403);
    expect((await chat("tenant-a", "ag_a1", "still up")).status).toBe(200);
  }, 60_000);

  it("runs OpenClaw's session maintenance itself (it is off per turn) without disturbing the running gateway", async () => {
    for (const n of [2, 3]) expect((await chat("tenant-a", "ag_a1", `session ${n}`, `agent:ag_a1:test:${n}`)).status).toBe(200);
    // The scheduled cleanup works on the live gateway's session store (three sessions, none stale yet).
    expect(await host.cleanupSessions("tenant-a")).toEqual({ ok: true, entries: { ag_a1: 3 } });
    expect((await chat("tenant-a", "ag_a1", "after the cleanup")).status).toBe(200);
  }, 90_000);

  it("detects a gateway killed with SIGKILL and restarts it", async () => {
    const before = (await call("GET", "/tenants/tenant-b/status")).json;
    execSync(`kill -9 ${before.pid}`);
    const deadline = Date.now() + 60_000;
    let now = before;
    while (Date.now() < deadline) {
      now = (await call("GET", "/tenants/tenant-b/status")).json;
      if (now.state === "ready" && now.pid !== before.pid) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    expect(now).toMatchObject({ state: "ready", restarts: 1, lastError: expect.stringMatching(/exited unexpectedly \(SIGKILL\)/) });
    expect(now.pid).not.toBe(before.pid);
    expect((await chat("tenant-b", "ag_b1", "after the crash")).status).toBe(200);
  }, 90_000);

  it("stops gateways that have been idle too long", async () => {
    const t = host.tenants.get("tenant-b")!;
    t.lastActivityAt = Date.now() - 2 * 3_600_000;
    const pid = t.child!.pid!;
    await host.stopIdle();
    expect((await call("GET", "/tenants/tenant-b/status")).json).toMatchObject({ state: "stopped", pid: null });
    expect(() => process.kill(pid, 0)).toThrow();
    expect((await call("GET", "/tenants/tenant-a/status")).json.state).toBe("ready");
  }, 60_000);
});

describe("the pool of pre-started, warmed-up gateways", () => {
  let pooled: RuntimeHost;
  let pooledBase: string;
  beforeAll(async () => {
    pooled = new RuntimeHost({
      port: 0,
      secret: SECRET,
      dataDir: await mkdtemp(path.join(tmpdir(), "autoclaw-pool-")),
      idleMs: 3_600_000,
      poolSize: 1,
      poolRefillDelayMs: 3_600_000,
      log: () => undefined,
    });
    pooledBase = `http://127.0.0.1:${await pooled.listen()}`;
    for (const deadline = Date.now() + 120_000; !pooled.health().pool && Date.now() < deadline; )
      await new Promise((r) => setTimeout(r, 250));
  }, 130_000);
  afterAll(() => pooled?.close(), 60_000);

  it("hands a tenant a warm gateway that answers with the tenant's agents, config and token", async () => {
    expect(pooled.health().pool).toBe(1);
    const t0 = Date.now();
    const started = await fetch(`${pooledBase}/tenants/tenant-p/start`, {
      method: "POST",
      headers: { authorization: `Bearer ${SECRET}` },
      body: JSON.stringify({ generation: 1, config: config("ag_p1"), env: { AUTOCLAW_MODEL_TOKEN: "rt_token_p" } }),
    });
    expect(await started.json()).toMatchObject({ state: "ready", pooled: true });
    expect(Date.now() - t0).toBeLessThan(15_000); // a plain spawn takes longer than this before it even answers
    expect(pooled.health().pool).toBe(0);
    const res = await chat("tenant-p", "ag_p1", "hello pool", undefined, undefined, pooledBase);
    expect(res.status).toBe(200);
    expect(((await res.json()) as { choices: { message: { content: string } }[] }).choices[0]!.message.content).toContain("hello pool");
    expect(fake.requests.at(-1)!.authorization).toBe("Bearer rt_token_p");
  }, 60_000);

  it("the warm-up endpoint answers only a pool gateway's own key", async () => {
    const res = await fetch(`${pooledBase}/warmup/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: "Bearer guess" },
      body: "{}",
    });
    expect(res.status).toBe(401);
  });

  it("a stop moves the claimed slot's conversations and workspace back to the tenant's own folder", async () => {
    await fetch(`${pooledBase}/tenants/tenant-p/files`, {
      method: "PUT",
      headers: { authorization: `Bearer ${SECRET}` },
      body: JSON.stringify({ files: [{ path: "ag_p1/notes/kept.md", content: Buffer.from("kept").toString("base64") }] }),
    });
    const { dir } = pooled.status("tenant-p");
    await pooled.stop("tenant-p");
    expect(existsSync(dir)).toBe(false);
    const home = pooled.status("tenant-p").dir;
    expect(existsSync(path.join(home, "state", "agents", "ag_p1"))).toBe(true);
    // Nothing of the tenant's is deleted by a stop: the workspace the gateway worked in is now at home.
    expect(readFileSync(path.join(home, "workspace", "ag_p1", "notes", "kept.md"), "utf8")).toBe("kept");
  }, 60_000);
});

describe("a cap on running gateways (RUNTIME_MAX_GATEWAYS)", () => {
  let capped: RuntimeHost;
  let cappedBase: string;
  const start = (tenant: string, agent: string, model = "echo") =>
    fetch(`${cappedBase}/tenants/${tenant}/start`, {
      method: "POST",
      headers: { authorization: `Bearer ${SECRET}` },
      body: JSON.stringify({
        generation: 1,
        config: tenantOpenclawConfig({ agents: [{ id: agent, name: "C", model }], modelProxyUrl: `${fake.url}/v1`, restrictTools: true }),
        env: { AUTOCLAW_MODEL_TOKEN: `rt_${tenant}` },
      }),
    });
  beforeAll(async () => {
    capped = new RuntimeHost({
      port: 0,
      secret: SECRET,
      dataDir: await mkdtemp(path.join(tmpdir(), "autoclaw-cap-")),
      idleMs: 3_600_000,
      maxGateways: 1,
      log: () => undefined,
    });
    cappedBase = `http://127.0.0.1:${await capped.listen()}`;
  });
  afterAll(() => capped?.close(), 60_000);

  it("at the cap it stops the least recently used idle gateway (keeping its files) to start another; with none idle it refuses clearly", async () => {
    expect((await start("tenant-c1", "ag_c1")).status).toBe(200);
    await fetch(`${cappedBase}/tenants/tenant-c1/files`, {
      method: "PUT",
      headers: { authorization: `Bearer ${SECRET}` },
      body: JSON.stringify({ files: [{ path: "ag_c1/kept.md", content: Buffer.from("kept").toString("base64") }] }),
    });
    expect((await start("tenant-c2", "ag_c2", "slow-8000")).status).toBe(200);
    expect(capped.status("tenant-c1")).toMatchObject({ state: "stopped", pid: null });
    expect(readFileSync(path.join(capped.status("tenant-c1").dir, "workspace", "ag_c1", "kept.md"), "utf8")).toBe("kept");
    // tenant-c2's only gateway is busy with a turn: nothing can be stopped to make room.
    const busy = chat("tenant-c2", "ag_c2", "take your time", undefined, undefined, cappedBase);
    await new Promise((r) => setTimeout(r, 1500));
    const refused = await start("tenant-c3", "ag_c3");
    expect(refused.status).toBe(503);
    expect(await refused.json()).toMatchObject({
      code: "capacity",
      error: expect.stringMatching(/at capacity: 1 gateways running and none of them idle/),
    });
    expect((await busy).status).toBe(200);
  }, 120_000);
});
