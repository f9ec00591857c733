// Fault injection with the real parts: wrangler dev (Worker, D1, R2, queue, Durable Objects) and the
// runtime host running real `openclaw gateway` processes, against the fake model. Stops, gateways
// that vanish behind AutoClaw's back, turns that outlive their deadline, files the platform refuses.
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFakeModel, type FakeModel, type RecordedRequest } from "../../fakes/openai";
import { client, filesOnDisk, hostCall, killGateway, killHost, startStack, waitForPool, type Stack } from "./stack";

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
const run = async (c: Api, agentId: string, input: string) =>
  waitRun(c, (await c.call<{ id: string }>("runs.create", { agentId, input })).id);

const host = (method: string, p: string) => hostCall(stack, method, p);
const killHostNow = () => killHost(stack);
const killGatewayOf = (tenantId: string) => killGateway(stack, tenantId);
/** What R2 keeps of the agent's folder, the same way. */
async function filesInR2(c: Api, agentId: string) {
  const files = await c.query<{ path: string; sha256: string | null }[]>("agents.files", { id: agentId });
  return Object.fromEntries(files.map((f) => [f.path, f.sha256]));
}
const finalEvents = (run: RunView) => run.events.filter((e) => ["succeeded", "failed", "canceled"].includes(e.kind));
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
    for (let i = 1; i < sorted.length; i++)
      expect(sorted[i]!.startedAt, `call ${i} overlaps call ${i - 1}`).toBeGreaterThanOrEqual(end(sorted[i - 1]!));
    expect(slow).toMatchObject({ status: "succeeded", output: `Echo: ${marker}` });
    expect(slow.attempts).toBe(2);
    // The first attempt stopped in the gateway: it made fewer than its eight steps.
    expect(calls.length).toBeLessThan(9);
    // And the team's runtime still answers.
    expect(await run(c, agent.id, "after the stall")).toMatchObject({ status: "succeeded", output: "Echo: after the stall" });
  }, 240_000);
});

describe("secrets the gateway and D1 disagree on", () => {
  it("a gateway holding a model token D1 does not (its model calls refused) heals itself at the next turn, with one restart", async () => {
    const { c, tenantId, agent } = await team("lockout", "echo");
    expect(await run(c, agent.id, "before")).toMatchObject({ status: "succeeded" });
    const before = await host("GET", `/tenants/${tenantId}/status`);
    // The running gateway's model token changes underneath AutoClaw (its config rewritten with another key):
    // every model call it makes is now refused by the proxy.
    const config = JSON.parse(readFileSync(path.join(before.dir, "state", "openclaw.json"), "utf8"));
    for (const provider of Object.values(config.models.providers) as { apiKey: string }[]) provider.apiKey = "rt_not-the-one-d1-holds";
    const res = await fetch(`http://127.0.0.1:${HOST_PORT}/tenants/${tenantId}/config`, {
      method: "PUT",
      headers: {
        authorization: `Bearer ${readFileSync(path.resolve(import.meta.dirname, "..", "..", ".dev.vars"), "utf8").match(/^RUNTIME_HOST_SECRET=(.+)$/m)![1]!}`,
      },
      body: JSON.stringify({ config }),
    });
    expect(res.status).toBe(200);
    const healed = await run(c, agent.id, "after the lock-out");
    expect(healed).toMatchObject({ status: "succeeded", output: "Echo: after the lock-out", attempts: 1 });
    // One restart: a new start whose secrets the gateway now holds.
    expect((await host("GET", `/tenants/${tenantId}/status`)).generation).toBe(before.generation! + 1);
    expect(await run(c, agent.id, "and again")).toMatchObject({ status: "succeeded", attempts: 1 });
  }, 240_000);
});

describe("a team's provider refusing its key", () => {
  it("fails the run with the provider's reason, and the first run after the team fixes its key goes through (no cooldown left in the runtime)", async () => {
    const { c, agent } = await team("refusedkey", "echo");
    expect(await run(c, agent.id, "with a good key")).toMatchObject({ status: "succeeded" });
    await c.call("providerKeys.set", { provider: "custom", apiKey: "sk-revoked-0123456789", baseUrl: `${fake.url}/v1` });
    const refused = await run(c, agent.id, "with a revoked key");
    expect(refused).toMatchObject({
      status: "failed",
      attempts: 1,
      error: "Model provider answered 401: Incorrect API key provided. You can find your API key at the dashboard.",
    });
    await c.call("providerKeys.set", { provider: "custom", apiKey: "sk-fixed-0123456789", baseUrl: `${fake.url}/v1` });
    expect(await run(c, agent.id, "with the fixed key")).toMatchObject({
      status: "succeeded",
      attempts: 1,
      output: "Echo: with the fixed key",
    });
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

describe("the runtime killed at each step of a turn", () => {
  type Step = "before the model call" | "while the answer streams" | "after the answer, before its files are saved";
  const steps: [Step, string][] = [
    ["before the model call", "writer"],
    ["while the answer streams", "drip-300"],
    ["after the answer, before its files are saved", "writer"],
  ];
  const kills: [string, (tenantId: string) => Promise<void>][] = [
    ["the gateway is SIGKILLed", killGatewayOf],
    ["the runtime host is SIGKILLed (the run command starts it again)", killHostNow],
  ];
  for (const [what, kill] of kills) {
    for (const [step, model] of steps) {
      it(`${what} ${step}: the run ends once, R2 holds exactly the agent's files, the next turn succeeds`, async () => {
        const { c, tenantId, agent } = await team(`kill-${step.split(" ")[0]}-${what.split(" ")[1]}`, model);
        // A first turn, so the agent has files of its own and a live workspace.
        expect(await run(c, agent.id, "write notes/first.md: before the fault")).toMatchObject({ status: "succeeded" });
        const marker = `fault ${Date.now()}`;
        const input = model === "writer" ? `write notes/fault.md: ${marker}` : `${marker} one two three four five six`;
        let killed: Promise<void> | undefined;
        const killOnce = () => (killed ??= kill(tenantId));
        const ours = (r: RecordedRequest) => r.messages.some((m) => m.role === "user" && String(m.content).includes(marker));
        fake.onRequest = (r, phase) => {
          if (!ours(r)) return;
          if (step === "while the answer streams" && phase === "first-token") void killOnce();
          // The final answer ("Saved.") is complete: the gateway has it, the Worker has not saved the files yet.
          if (step === "after the answer, before its files are saved" && phase === "end" && r.messages.at(-1)?.role === "tool")
            void killOnce();
        };
        const { id } = await c.call<{ id: string }>("runs.create", { agentId: agent.id, input });
        if (step === "before the model call") {
          // The run is claimed and its turn on its way to the gateway: kill before OpenClaw calls the model.
          for (let r = await c.query<RunView>("runs.get", { id }); r.status === "queued"; r = await c.query<RunView>("runs.get", { id }))
            await new Promise((res) => setTimeout(res, 20));
          // Measured when the kill starts: killing the host resolves only once it is back, and by then the
          // retried turn may rightly have called the model.
          const killedAt = Date.now();
          await killOnce();
          expect(fake.requests.filter(ours).filter((r) => r.startedAt < killedAt)).toEqual([]);
        }
        const done = await waitRun(c, id, 240_000);
        fake.onRequest = undefined;
        expect(killed, "the fault was injected").toBeDefined();
        await killed;
        expect(done.status).toBe("succeeded");
        expect(finalEvents(done)).toHaveLength(1);
        // The next turn needs nobody: no lock-out, no stuck runtime.
        expect(await run(c, agent.id, "write notes/after.md: after the fault")).toMatchObject({ status: "succeeded", attempts: 1 });
        const dir = path.join((await host("GET", `/tenants/${tenantId}/status`)).dir, "workspace", agent.id);
        const disk = filesOnDisk(dir);
        if (model === "writer") {
          expect(readFileSync(path.join(dir, "notes", "fault.md"), "utf8")).toBe(marker);
          expect(disk["notes/after.md"]).toBeDefined();
        }
        expect(await filesInR2(c, agent.id)).toEqual(disk);
      }, 300_000);
    }
  }
});
