// Fault injection with the real parts: wrangler dev (Worker, D1, R2, queue, Durable Objects) and the
// runtime host running real `openclaw gateway` processes, against the fake model. Stops, gateways
// that vanish behind AutoClaw's back, turns that outlive their deadline, files the platform refuses.
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFakeModel, type FakeModel, type RecordedRequest } from "../../e2e/fakes/openai";
import { client, startStack, waitForPool, type Stack } from "./stack";

const PORT = 8867;
const HOST_PORT = PORT + 2;
let stack: Stack;
let fake: FakeModel;

beforeAll(async () => {
  fake = await startFakeModel();
  stack = await startStack(PORT, {
    RUNTIME_POOL_SIZE: "1",
    RUNTIME_POOL_REFILL_MS: "1000",
    MODEL_TIMEOUT_MS: "6000",
    // A retry comes after one fake model call (5 s) could have ended: wrangler dev's local proxy does
    // not pass a caller's hang-up on to the Worker (workerd does: model-proxy.test.ts), so here a
    // model call the gateway abandoned runs on upstream until it ends.
    RUN_RETRY_DELAY_SECONDS: "6",
  });
  await waitForPool(HOST_PORT, 1);
}, 300_000);
afterAll(async () => {
  await stack?.stop();
  await fake?.close();
}, 60_000);

type Api = ReturnType<typeof client>;
interface RunView {
  status: string;
  output: string | null;
  error: string | null;
  attempts: number;
  events: { kind: string; message: string | null }[];
}

async function waitRun(c: Api, id: string, timeoutMs = 150_000) {
  for (const deadline = Date.now() + timeoutMs; Date.now() < deadline; ) {
    const run = await c.query<RunView>("runs.get", { id });
    if (["succeeded", "failed", "canceled"].includes(run.status)) return run;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`run ${id} did not finish`);
}
const run = async (c: Api, agentId: string, input: string) => waitRun(c, (await c.call<{ id: string }>("runs.create", { agentId, input })).id);

const hostSecret = () => readFileSync(path.resolve(import.meta.dirname, "..", "..", ".dev.vars"), "utf8").match(/^RUNTIME_HOST_SECRET=(.+)$/m)![1]!;
async function host(method: string, p: string) {
  const res = await fetch(`http://127.0.0.1:${HOST_PORT}${p}`, { method, headers: { authorization: `Bearer ${hostSecret()}` } });
  return (await res.json()) as { dir: string; pooled: boolean; pid: number | null; state: string };
}
const tenantHome = (tenantId: string) => path.join(stack.stateDir, "runtimes", "tenants", tenantId);

async function team(label: string, model: string) {
  const c = client(stack.api, `http://127.0.0.1:${PORT + 1}`);
  const t = await c.signUpWithTeam(label);
  await c.call("providerKeys.set", { provider: "custom", apiKey: `sk-${label}-0123456789`, baseUrl: `${fake.url}/v1` });
  const agent = await c.call<{ id: string }>("agents.create", { templateId: "personal-assistant", name: label, model: `custom/${model}` });
  return { c, tenantId: t.id, agent };
}

/** The agent's files as the tenant's gateway sees them, after the host's disk was wiped and the runtime started again (so they came from R2). */
async function workspaceAfterWipeAndStart(c: Api, tenantId: string, agentId: string, files: string[]) {
  await c.call("runtime.stop");
  rmSync(path.join(tenantHome(tenantId), "workspace"), { recursive: true, force: true }); // as if on another machine
  expect((await c.call<{ state: string }>("runtime.start")).state).toBe("ready");
  const dir = path.join((await host("GET", `/tenants/${tenantId}/status`)).dir, "workspace", agentId);
  return Object.fromEntries(files.map((f) => [f, existsSync(path.join(dir, f)) ? readFileSync(path.join(dir, f), "utf8") : null]));
}

const PERSONA = ["AGENTS.md", "IDENTITY.md", "SOUL.md"];

describe("the workspace survives every kind of stop", () => {
  it("stopping a runtime twice keeps every workspace file in R2", async () => {
    const { c, tenantId, agent } = await team("twice", "writer");
    await waitForPool(HOST_PORT, 1);
    expect(await run(c, agent.id, "write notes/keep.md: kept across stops")).toMatchObject({ status: "succeeded" });
    expect((await host("GET", `/tenants/${tenantId}/status`)).pooled).toBe(true);
    await c.call("runtime.stop");
    await c.call("runtime.stop");
    const files = await workspaceAfterWipeAndStart(c, tenantId, agent.id, [...PERSONA, "notes/keep.md"]);
    expect(files["notes/keep.md"]).toBe("kept across stops");
    for (const f of PERSONA) expect(files[f], f).toBeTruthy();
  }, 240_000);

  it("a Stop after the runtime host stopped the gateway on its own keeps every workspace file in R2", async () => {
    const { c, tenantId, agent } = await team("behind", "writer");
    await waitForPool(HOST_PORT, 1);
    expect(await run(c, agent.id, "write notes/keep.md: kept after an idle stop")).toMatchObject({ status: "succeeded" });
    expect((await host("GET", `/tenants/${tenantId}/status`)).pooled).toBe(true);
    await host("POST", `/tenants/${tenantId}/stop`); // what the host's idle stop does
    const files = await workspaceAfterWipeAndStart(c, tenantId, agent.id, [...PERSONA, "notes/keep.md"]);
    expect(files["notes/keep.md"]).toBe("kept after an idle stop");
    for (const f of PERSONA) expect(files[f], f).toBeTruthy();
  }, 240_000);
});

describe("turns that outlive their deadline", () => {
  it("is aborted in the gateway, retried without a second copy running, and locks nobody out", async () => {
    // Eight tool steps of 5 s each: every model call is within MODEL_TIMEOUT_MS (6 s), the turn is not.
    const { c, agent } = await team("stall", "stall-once-8-5000");
    const marker = `stalled ${Date.now()}`;
    const slow = await run(c, agent.id, marker);
    const calls = fake.requests.filter((r) => r.messages.some((m) => m.role === "user" && String(m.content).includes(marker)));
    const end = (r: RecordedRequest) => r.endedAt ?? r.abortedAt ?? Date.now();
    // Never two model calls of this input at once: the retry waited for the first attempt to stop.
    const sorted = [...calls].sort((x, y) => x.startedAt - y.startedAt);
    for (let i = 1; i < sorted.length; i++) expect(sorted[i]!.startedAt, `call ${i} overlaps call ${i - 1}`).toBeGreaterThanOrEqual(end(sorted[i - 1]!));
    expect(slow).toMatchObject({ status: "succeeded", output: `Echo: ${marker}` });
    expect(slow.attempts).toBe(2);
    // The first attempt stopped in the gateway: it made fewer than its eight steps.
    expect(calls.length).toBeLessThan(9);
    // And the team's runtime still answers.
    expect(await run(c, agent.id, "after the stall")).toMatchObject({ status: "succeeded", output: "Echo: after the stall" });
  }, 240_000);
});

describe("files the platform refuses to keep", () => {
  it("a file whose name cannot be stored is skipped with a warning on the run; the turn and later turns succeed", async () => {
    const { c, tenantId, agent } = await team("badname", "writer");
    expect(await run(c, agent.id, "write notes/first.md: one")).toMatchObject({ status: "succeeded" });
    const dir = path.join((await host("GET", `/tenants/${tenantId}/status`)).dir, "workspace", agent.id);
    // What an agent's shell could leave behind: a name that is not UTF-8 (0xff 0xfe).
    writeFileSync(Buffer.concat([Buffer.from(`${dir}/notes/`), Buffer.from([0xff, 0xfe]), Buffer.from(".md")]), "unreadable name");
    const second = await run(c, agent.id, "write notes/second.md: two");
    expect(second).toMatchObject({ status: "succeeded", output: "Saved.", attempts: 1 });
    expect(second.events.find((e) => e.kind === "warning")?.message).toMatch(/notes\/.*\.md.*not saved/);
    expect(await run(c, agent.id, "write notes/third.md: three")).toMatchObject({ status: "succeeded", attempts: 1 });
  }, 240_000);
});
