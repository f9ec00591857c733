// The whole product with real tenant runtimes: wrangler dev (Worker, D1, queue, DOs, R2) + the
// runtime host running real `openclaw gateway` processes + the fake model. Slow (gateway starts).
import { existsSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFakeModel, type FakeModel } from "../../fakes/openai";
import { deliver, startFakeTelegram, update, type FakeTelegram } from "../../fakes/telegram";
import { client, hostCall, startStack, waitForPool, type Stack } from "./stack";

const PORT = 8857;
const KEY_A = "sk-tenant-a-byok-5566778899";
const KEY_B = "sk-tenant-b-byok-1122334455";
let stack: Stack;
let fake: FakeModel;
let telegram: FakeTelegram;
const WEBHOOK_SECRET = "stack-webhook-secret-0123456789";

beforeAll(async () => {
  [fake, telegram] = await Promise.all([startFakeModel(), startFakeTelegram()]);
  stack = await startStack(PORT, {
    RUNTIME_POOL_SIZE: "1",
    TELEGRAM_BOT_TOKEN: "123456789:stack-token-abcdefghijklmnopqrstuvwxyz",
    TELEGRAM_BOT_USERNAME: "autoclaw_stack_bot",
    TELEGRAM_WEBHOOK_SECRET: WEBHOOK_SECRET,
    TELEGRAM_API_ROOT: telegram.url,
  });
  // The first cold start below claims the warm gateway; later ones spawn or claim its replacement.
  await waitForPool(PORT + 2, 1);
}, 300_000);
afterAll(async () => {
  await stack?.stop();
  await fake?.close();
  await telegram?.close();
}, 60_000);

type Api = ReturnType<typeof client>;

type LiveEvent = { seq: number; at: string; type: string; text?: string; status?: string };
/** A run's live events (runs.events over SSE, read as an EventSource would), until `done`. */
async function liveEvents(c: Api, runId: string): Promise<LiveEvent[]> {
  const url = `${stack.api}/trpc/runs.events?input=${encodeURIComponent(JSON.stringify({ runId }))}`;
  const res = await fetch(url, { headers: c.headers, signal: AbortSignal.timeout(120_000) });
  const events: LiveEvent[] = [];
  const decoder = new TextDecoder();
  let tail = "";
  for await (const chunk of res.body!) {
    tail += decoder.decode(chunk, { stream: true });
    const blocks = tail.split("\n\n");
    tail = blocks.pop() ?? "";
    for (const block of blocks) {
      if (/^event: /m.test(block)) continue; // connected, ping, errors
      const data = block.match(/^data: (.*)$/m)?.[1];
      if (!data) continue;
      const ev = JSON.parse(data) as LiveEvent;
      events.push(ev);
      if (ev.type === "done") return events;
    }
  }
  return events;
}
async function waitRun(c: Api, id: string) {
  for (const deadline = Date.now() + 90_000; Date.now() < deadline; ) {
    const run = await c.query<{ status: string; output: string | null; error: string | null; usage: { inputTokens: number } }>("runs.get", {
      id,
    });
    if (["succeeded", "failed", "canceled"].includes(run.status)) return run;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`run ${id} did not finish`);
}

function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.join(e.parentPath, e.name));
}

/** The gateway as the runtime host reports it. */
const hostStatus = (tenantId: string) => hostCall(stack, "GET", `/tenants/${tenantId}/status`);
const gatewayPid = async (tenantId: string) => (await hostStatus(tenantId)).pid;
/** The directory the tenant's gateway runs in (its own, or a claimed pool slot's). */
const tenantDir = async (tenantId: string) => (await hostStatus(tenantId)).dir;

describe("runs executed by the tenant's own OpenClaw runtime", () => {
  let a: Api, b: Api;
  let teamA: { id: string }, teamB: { id: string };
  let agentA: { id: string };
  let agentB: { id: string };

  it("a stopped tenant's run starts its runtime; the reply comes from the model through the Worker's proxy with the tenant's key", async () => {
    a = client(stack.api, `http://127.0.0.1:${PORT + 1}`);
    teamA = await a.signUpWithTeam("tenant-a");
    await a.call("providerKeys.set", { provider: "custom", apiKey: KEY_A, baseUrl: `${fake.url}/v1` });
    agentA = await a.call<{ id: string }>("agents.create", { templateId: "personal-assistant", name: "Writer", model: "custom/writer" });
    expect((await a.query<{ state: string }>("runtime.status")).state).toBe("stopped");

    const { id } = await a.call<{ id: string }>("runs.create", { agentId: agentA.id, input: "remember the lobster" });
    const run = await waitRun(a, id);
    expect(run).toMatchObject({ status: "succeeded", output: "Saved." });
    expect(run.usage.inputTokens).toBeGreaterThan(0);
    expect(await a.query("runtime.status")).toMatchObject({ state: "ready", version: "2026.9.6", lastError: null });

    const calls = fake.requests.filter((r) => r.model === "writer");
    expect(calls.length).toBeGreaterThanOrEqual(2); // the tool call, then the answer
    expect(calls.every((r) => r.authorization === `Bearer ${KEY_A}`)).toBe(true);
    expect(calls[0]!.tools).toContain("write");
    expect(calls[0]!.tools).not.toContain("exec"); // the host driver has no container boundary
  }, 120_000);

  it("the tenant's key is nowhere in its runtime: not in config, env or workspace", async () => {
    const files = filesUnder(await tenantDir(teamA.id));
    expect(files.some((f) => f.endsWith("openclaw.json"))).toBe(true);
    for (const f of files) if (statSync(f).size < 5_000_000) expect(readFileSync(f).includes(KEY_A), f).toBe(false);
    const env = readFileSync(`/proc/${await gatewayPid(teamA.id)}/environ`, "utf8");
    expect(env).not.toContain(KEY_A);
    expect(env).not.toMatch(/RUNTIME_HOST_SECRET|BETTER_AUTH_SECRET|ENCRYPTION_KEY/);
  });

  it("a file the agent wrote is persisted, and is back after a stop, a wiped disk and a start", async () => {
    const written = async () => path.join(await tenantDir(teamA.id), "workspace", agentA.id, "notes", "from-agent.md");
    expect(readFileSync(await written(), "utf8")).toContain("remember the lobster");

    expect((await a.call<{ state: string }>("runtime.stop")).state).toBe("stopped");
    rmSync(path.join(await tenantDir(teamA.id), "workspace"), { recursive: true, force: true }); // as if on another machine
    expect((await a.call<{ state: string }>("runtime.start")).state).toBe("ready");
    expect(readFileSync(await written(), "utf8")).toContain("remember the lobster");
    // The template's persona came back from R2 too.
    expect(readFileSync(path.join(await tenantDir(teamA.id), "workspace", agentA.id, "AGENTS.md"), "utf8")).toContain("Personal assistant");
  }, 120_000);

  it("two tenants get separate gateway processes that cannot read each other's files", async () => {
    b = client(stack.api, `http://127.0.0.1:${PORT + 1}`);
    teamB = await b.signUpWithTeam("tenant-b");
    await b.call("providerKeys.set", { provider: "custom", apiKey: KEY_B, baseUrl: `${fake.url}/v1` });
    agentB = await b.call<{ id: string }>("agents.create", { templateId: "research-analyst", name: "Echo", model: "custom/echo" });
    const { id } = await b.call<{ id: string }>("runs.create", {
      agentId: agentB.id,
      input: `read ../../${teamA.id}/workspace/${agentA.id}/notes/from-agent.md`,
    });
    const run = await waitRun(b, id);
    expect(run.status).toBe("succeeded");
    expect(run.output).not.toContain("remember the lobster");
    expect(await gatewayPid(teamA.id)).not.toBe(await gatewayPid(teamB.id));
    expect(filesUnder(await tenantDir(teamB.id)).some((f) => f.includes("from-agent.md"))).toBe(false);
    expect(fake.requests.filter((r) => r.authorization === `Bearer ${KEY_B}`).length).toBeGreaterThan(0);
    // B's runtime never sees A's key and vice versa.
    expect(readFileSync(`/proc/${await gatewayPid(teamB.id)}/environ`, "utf8")).not.toContain(KEY_A);
  }, 120_000);

  it("concurrent runs of a stopped tenant share one start, and each start mints a new model token", async () => {
    const second = await a.call<{ id: string }>("agents.create", { templateId: "daily-briefing", name: "Second", model: "custom/echo" });
    const proxy = (token: string) =>
      fetch(`${stack.api}/api/model/v1/chat/completions`, {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: JSON.stringify({ model: "custom/echo", messages: [{ role: "user", content: "ping" }] }),
      });
    const tokenNow = async () =>
      JSON.parse(readFileSync(path.join(await tenantDir(teamA.id), "state", "openclaw.json"), "utf8")).models.providers.autoclaw
        .apiKey as string;
    const before = await tokenNow();
    expect((await proxy(before)).status).toBe(200);

    await a.call("runtime.stop");
    expect((await proxy(before)).status).toBe(400); // a stopped runtime's token is dead (refused, in words OpenClaw does not cool down on)
    // Two agents, two runs at once, runtime stopped: one start serves both (a second start would
    // rotate the token under the first gateway, and its model calls would be refused).
    const runs = await Promise.all(
      [agentA.id, second.id].map((agentId) => a.call<{ id: string }>("runs.create", { agentId, input: "together" })),
    );
    for (const r of runs) expect((await waitRun(a, r.id)).status).toBe("succeeded");
    const after = await tokenNow();
    expect(after).not.toBe(before);
    expect((await proxy(after)).status).toBe(200);
  }, 120_000);

  it("a run after the gateway vanished behind AutoClaw's back (idle stop, host restart) starts it again", async () => {
    await hostCall(stack, "POST", `/tenants/${teamA.id}/stop`);
    const { id } = await a.call<{ id: string }>("runs.create", { agentId: agentA.id, input: "are you there" });
    expect((await waitRun(a, id)).status).toBe("succeeded");
    expect((await a.query<{ state: string }>("runtime.status")).state).toBe("ready");
  }, 120_000);

  it("a paired Telegram user's messages are turns of one OpenClaw conversation, answered in Telegram", async () => {
    const person = { id: 555_000_111, firstName: "Tom" };
    const { code } = await b.call<{ code: string }>("telegram.createPairingCode");
    const hook = (text: string) => deliver(`${stack.api}/api/webhooks/telegram`, WEBHOOK_SECRET, update(person, text));
    expect((await hook(`/start ${code}`)).status).toBe(200);
    const replies = async (n: number) => {
      for (const deadline = Date.now() + 90_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 250)))
        if (telegram.sentTo(person.id).length >= n) return telegram.sentTo(person.id);
      throw new Error(`only ${JSON.stringify(telegram.sentTo(person.id))}`);
    };
    expect((await replies(1))[0]).toContain("Paired with");

    expect((await hook("my name is Zed")).status).toBe(200);
    expect((await replies(2))[1]).toContain("my name is Zed");
    expect((await hook("what is my name?")).status).toBe(200);
    expect((await replies(3))[2]).toContain("what is my name?");
    // The second turn reached the model with the first one in its history: the same OpenClaw session.
    const second = fake.requests.find(
      (r) => r.authorization === `Bearer ${KEY_B}` && r.messages.at(-1)?.content.includes("what is my name?"),
    );
    expect(second!.messages.some((m) => m.role === "user" && String(m.content).includes("my name is Zed"))).toBe(true);
    const runs = await b.query<{ items: { source: string; agentId: string }[] }>("runs.list", {});
    expect(runs.items.filter((r) => r.source === "telegram").every((r) => r.agentId === agentB.id)).toBe(true);
  }, 180_000);

  it("a dashboard conversation is one OpenClaw session, streamed as the model writes: the second turn carries the first, a new conversation does not", async () => {
    const drip = await b.call<{ id: string }>("agents.create", {
      templateId: "personal-assistant",
      name: "Drip",
      model: "custom/drip-120",
    });
    const conv = await b.call<{ id: string }>("conversations.create", { agentId: drip.id });
    const send = async (conversationId: string, input: string) => {
      const { runId } = await b.call<{ runId: string }>("conversations.send", { conversationId, input });
      return { runId, events: await liveEvents(b, runId) };
    };
    const first = await send(conv.id, "my name is Ada and I like long walks by the sea");
    // The reply's tokens reached the watcher one by one, through the runtime host, before the run ended.
    const tokens = first.events.filter((e) => e.type === "token");
    expect(tokens.length).toBeGreaterThan(5);
    const done = first.events.at(-1)!;
    expect(done).toMatchObject({ type: "done", status: "succeeded" });
    expect(new Date(done.at).getTime() - new Date(tokens[0]!.at).getTime()).toBeGreaterThan(500);
    expect(tokens.map((t) => t.text).join("")).toBe((await waitRun(b, first.runId)).output);

    await send(conv.id, "what is my name?");
    const asked = (text: string) => fake.requests.find((r) => r.model === "drip-120" && String(r.messages.at(-1)?.content).includes(text))!;
    const said = (r: { messages: { role: string; content: unknown }[] }) =>
      r.messages.some((m) => m.role === "user" && String(m.content).includes("my name is Ada"));
    expect(said(asked("what is my name?"))).toBe(true);

    const fresh = await b.call<{ id: string }>("conversations.create", { agentId: drip.id });
    await send(fresh.id, "who am I?");
    expect(said(asked("who am I?"))).toBe(false);

    // The tools the agent calls (seen by the model proxy) and the files it writes are events of the run too.
    const writer = await b.call<{ id: string }>("agents.create", {
      templateId: "personal-assistant",
      name: "Scribe",
      model: "custom/writer",
    });
    const { id } = await b.call<{ id: string }>("runs.create", { agentId: writer.id, input: "keep this note" });
    const events = await liveEvents(b, id);
    expect(events.find((e) => e.type === "tool")).toMatchObject({ name: "write" });
    expect(events.some((e) => e.type === "artifact" && (e as { name?: string }).name === "notes/from-agent.md")).toBe(true);
    expect(events.at(-1)).toMatchObject({ type: "done", status: "succeeded" });
  }, 240_000);

  it("a schedule delivered into its conversation: each firing is the next turn, so the agent has the previous firing's reply", async () => {
    const briefer = await b.call<{ id: string }>("agents.create", { templateId: "daily-briefing", name: "Briefer", model: "custom/echo" });
    // A daily schedule twelve hours out, fired by the Worker's cron handler called with that minute's
    // time (as Cloudflare calls it), so the test does not wait for the clock and the run command's own
    // minute ticks never reach it.
    const at = new Date(Date.now() + 12 * 3_600_000);
    const s = await b.call<{ id: string; conversationId: string; nextRuns: string[] }>("schedules.create", {
      agentId: briefer.id,
      cron: `${at.getUTCMinutes()} ${at.getUTCHours()} * * *`,
      timezone: "UTC",
      input: "SCHED-brief: what changed since last time?",
      deliver: { conversation: true },
    });
    let fireAt = Date.parse(s.nextRuns[0]!);
    const fireNext = async () => {
      await fetch(`${stack.api}/cdn-cgi/local/scheduled?time=${fireAt + 1000}`);
      fireAt += 86_400_000;
    };
    const scheduled = async () =>
      (await b.query<{ items: { id: string; source: string }[] }>("runs.list", { agentId: briefer.id })).items.filter(
        (r) => r.source === "schedule",
      );
    await fireNext();
    await expect.poll(async () => (await scheduled()).length, { timeout: 30_000 }).toBe(1);
    const first = await waitRun(b, (await scheduled())[0]!.id);
    await fireNext();
    await expect.poll(async () => (await scheduled()).length, { timeout: 30_000 }).toBe(2);
    await waitRun(b, (await scheduled())[0]!.id);

    const asked = fake.requests.filter((r) => r.model === "echo" && String(r.messages.at(-1)?.content).includes("SCHED-brief"));
    expect(asked).toHaveLength(2);
    // The second firing's model call carries the first one's exchange: one OpenClaw session.
    expect(asked[1]!.messages.some((m) => m.role === "assistant" && String(m.content).includes(String(first.output)))).toBe(true);
    expect(asked[0]!.messages.some((m) => m.role === "assistant")).toBe(false);
    const conv = await b.query<{ history: { runId: string }[] }>("conversations.get", { id: s.conversationId });
    expect(conv.history).toHaveLength(2);
  }, 240_000);

  it("metering: a team's usage is exactly what the model reported for its key, over runtime turns, Telegram and chat", async () => {
    type Totals = { modelCalls: number; inputTokens: number; outputTokens: number };
    // The stream's usage row is written once its last byte has passed (waitUntil): allow it a moment.
    let total: Totals | undefined;
    let reported: Totals | undefined;
    for (const deadline = Date.now() + 15_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 250))) {
      const calls = fake.requests.filter((r) => r.authorization === `Bearer ${KEY_B}` && r.usage);
      reported = {
        modelCalls: calls.length,
        inputTokens: calls.reduce((n, r) => n + r.usage!.prompt_tokens, 0),
        outputTokens: calls.reduce((n, r) => n + r.usage!.completion_tokens, 0),
      };
      total = (await b.query<{ total: Totals }>("usage.summary", {})).total;
      if (total.inputTokens === reported.inputTokens && total.outputTokens === reported.outputTokens) break;
    }
    expect(reported!.modelCalls).toBeGreaterThan(5);
    expect({ inputTokens: total!.inputTokens, outputTokens: total!.outputTokens }).toEqual({
      inputTokens: reported!.inputTokens,
      outputTokens: reported!.outputTokens,
    });
    // Every call is a metered call, answered or not (a stream the gateway hung up on is one too).
    const ofB = fake.requests.filter((r) => r.authorization === `Bearer ${KEY_B}`);
    expect(total!.modelCalls).toBeGreaterThanOrEqual(ofB.filter((r) => !r.abortedAt).length);
    expect(total!.modelCalls).toBeLessThanOrEqual(ofB.length);
    // Per model too: the Telegram and chat turns are the echo and drip agents'.
    const { perModel } = await b.query<{ perModel: { model: string; modelCalls: number }[] }>("usage.summary", {});
    expect(perModel.map((m) => m.model).sort()).toEqual(["custom/drip-120", "custom/echo", "custom/writer"]);
  });

  it("the model proxy refuses callers without a current runtime token", async () => {
    const call = (authorization?: string) =>
      fetch(`${stack.api}/api/model/v1/chat/completions`, {
        method: "POST",
        headers: { ...(authorization && { authorization }), "content-type": "application/json" },
        body: JSON.stringify({ model: "custom/echo", messages: [] }),
      });
    // A runtime's token that is not current: refused in words OpenClaw does not take for an auth failure (no cooldown).
    const stale = await call("Bearer rt_made-up");
    expect(stale.status).toBe(400);
    expect(await stale.text()).toContain("autoclaw_runtime_token_refused");
    expect((await call("Bearer something-else")).status).toBe(401);
    expect((await call()).status).toBe(401);
  });
});
