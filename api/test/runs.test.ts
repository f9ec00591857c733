import { createExecutionContext, createMessageBatch, env, getQueueResult, SELF } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import worker from "../src/index";
import { TEMPLATES } from "@autoclaw/shared";
import { BYOK_KEY, ORIGIN, agentOnFakeModel, client, expectTrpcError, fakeRequests, signUpWithTeam, unique, waitForRun } from "./helpers";

afterEach(() => vi.restoreAllMocks());

describe("runs through D1 → RUN_QUEUE → AgentSession → model → R2", () => {
  it("queues a run at once, executes it with the tenant's key and the template's persona, stores output and artifact", async () => {
    const { api } = await signUpWithTeam("happy");
    const agent = await agentOnFakeModel(api);
    const marker = unique("hello");
    const created = await api.runs.create.mutate({ agentId: agent.id, input: `Say ${marker}` });
    expect(created.status).toBe("queued");

    const run = await waitForRun(api, created.id);
    expect(run).toMatchObject({
      status: "succeeded",
      source: "dashboard",
      output: `Echo: Say ${marker}`,
      error: null,
      attempts: 1,
      model: "custom/echo",
    });
    expect(run.usage.inputTokens).toBeGreaterThan(0);
    expect(run.usage.outputTokens).toBeGreaterThan(0);
    expect(run.events.map((e) => e.kind)).toEqual(["queued", "started", "succeeded"]);
    expect(new Date(run.finishedAt!).getTime()).toBeGreaterThanOrEqual(new Date(run.startedAt!).getTime());
    // The time spent with the model is reported, and is part of the run's duration.
    expect(run.agentMs).toEqual(expect.any(Number));
    expect(run.agentMs!).toBeLessThanOrEqual(new Date(run.finishedAt!).getTime() - new Date(run.startedAt!).getTime());

    const [seen] = await fakeRequests(marker);
    expect(seen!.authorization).toBe(`Bearer ${BYOK_KEY}`);
    expect(seen!.stream).toBe(true);
    expect(seen!.model).toBe("echo");
    expect(seen!.messages[0]!.content).toContain(TEMPLATES[0]!.files["AGENTS.md"]!.split("\n")[0]);

    // The artifact: listed with a signed URL, stored in R2 under the tenant's prefix, downloadable.
    expect(run.artifacts).toEqual([
      expect.objectContaining({ name: "output.md", contentType: "text/markdown; charset=utf-8", size: run.output!.length }),
    ]);
    const download = await SELF.fetch(ORIGIN + run.artifacts[0]!.url);
    expect(download.status).toBe(200);
    expect(download.headers.get("content-disposition")).toContain("output.md");
    expect(await download.text()).toBe(run.output);
    const listed = await env.ARTIFACTS.list({ prefix: `tenant/` });
    expect(listed.objects.map((o) => o.key)).toContain(`tenant/${(await api.tenants.current.query()).id}/runs/${run.id}/output.md`);
  });

  it("lists runs newest first with filters and cursor paging", async () => {
    const { api } = await signUpWithTeam("paging");
    const a = await agentOnFakeModel(api, "echo", { name: "A" });
    const b = await api.agents.create.mutate({ templateId: "research-analyst", name: "B", model: "custom/fail-400" });
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await api.runs.create.mutate({ agentId: a.id, input: `a${i}` })).id);
    const bRun = (await api.runs.create.mutate({ agentId: b.id, input: "b" })).id;
    await waitForRun(api, bRun);

    const page1 = await api.runs.list.query({ agentId: a.id, limit: 2 });
    const page2 = await api.runs.list.query({ agentId: a.id, limit: 2, cursor: page1.nextCursor! });
    const page3 = await api.runs.list.query({ agentId: a.id, limit: 2, cursor: page2.nextCursor! });
    expect([...page1.items, ...page2.items, ...page3.items].map((r) => r.id)).toEqual([...ids].reverse());
    expect(page3.nextCursor).toBeNull();
    expect((await api.runs.list.query({ status: "failed" })).items.map((r) => r.id)).toEqual([bRun]);
    expect((await api.runs.list.query()).items).toHaveLength(6);
    await expectTrpcError(api.runs.list.query({ cursor: "not-a-cursor" }), "BAD_REQUEST");
  });

  it("honours idempotency keys: same key → same run, executed once; another input → CONFLICT", async () => {
    const { api } = await signUpWithTeam("idem");
    const agent = await agentOnFakeModel(api);
    const marker = unique("once");
    const input = { agentId: agent.id, input: `Do ${marker}`, idempotencyKey: marker };
    const [r1, r2] = await Promise.all([api.runs.create.mutate(input), api.runs.create.mutate(input)]);
    const r3 = await api.runs.create.mutate(input);
    expect(r2.id).toBe(r1.id);
    expect(r3.id).toBe(r1.id);
    await waitForRun(api, r1.id);
    expect((await api.runs.create.mutate(input)).status).toBe("succeeded");
    expect(await fakeRequests(marker)).toHaveLength(1);
    await expectTrpcError(api.runs.create.mutate({ ...input, input: "something else" }), "CONFLICT");
    // Keys are per team: another team may use the same key.
    const other = await signUpWithTeam("idem-other");
    const otherAgent = await agentOnFakeModel(other.api);
    expect((await other.api.runs.create.mutate({ ...input, agentId: otherAgent.id })).id).not.toBe(r1.id);
  });

  it("hands a new run to its agent at once, with no queue message; a failed hand-over goes by the queue", async () => {
    const { user, team, api } = await signUpWithTeam("handover");
    const agent = await agentOnFakeModel(api);
    // A queue that only records: the run must not need it to execute.
    const sent: { body: unknown; options?: QueueSendOptions }[] = [];
    const recordingQueue = { send: async (body: unknown, options?: QueueSendOptions) => void sent.push({ body, options }) };
    const via = (e: object) =>
      client({ cookie: user.cookie, tenantId: team.id }, { send: (req) => worker.fetch(req, e as never, createExecutionContext()) });
    const marker = unique("handed over");
    const { id } = await via({ ...env, RUN_QUEUE: recordingQueue }).runs.create.mutate({ agentId: agent.id, input: marker });
    expect(await waitForRun(api, id)).toMatchObject({ status: "succeeded", attempts: 1, output: `Echo: ${marker}` });
    expect(sent).toEqual([]);

    // The agent's Durable Object unreachable: the run waits in the queue, and the queue's delivery runs it.
    const unreachable = {
      getByName: () => ({
        enqueue: async () => {
          throw new Error("Durable Object unreachable");
        },
      }),
    };
    const second = unique("by the queue");
    const { id: queuedId } = await via({ ...env, RUN_QUEUE: recordingQueue, AGENT_SESSION: unreachable }).runs.create.mutate({
      agentId: agent.id,
      input: second,
    });
    expect(sent).toEqual([{ body: { runId: queuedId, tenantId: team.id, agentId: agent.id }, options: undefined }]);
    expect((await api.runs.get.query({ id: queuedId })).status).toBe("queued");
    const batch = createMessageBatch("autoclaw-runs", [
      { id: "m1", timestamp: new Date(), attempts: 1, body: sent[0]!.body as { runId: string } },
    ]);
    await worker.queue(batch, env as never);
    expect(await waitForRun(api, queuedId)).toMatchObject({ status: "succeeded", output: `Echo: ${second}` });
  });

  it("with waitMs, answers the create once the run has ended, with the run; a longer turn is answered as it stands and goes on", async () => {
    const { api } = await signUpWithTeam("waited");
    const agent = await agentOnFakeModel(api);
    const marker = unique("waited for");
    const done = await api.runs.create.mutate({ agentId: agent.id, input: marker, waitMs: 20_000 });
    expect(done).toMatchObject({ status: "succeeded", run: { id: done.id, status: "succeeded", output: `Echo: ${marker}` } });
    expect(done.run!.artifacts.map((a) => a.name)).toEqual(["output.md"]);
    expect(done.run!.events.map((e) => e.kind)).toEqual(["queued", "started", "succeeded"]);

    // The wait runs out first: the answer is the run as it stands, and the run still finishes.
    const slow = await agentOnFakeModel(api, "slow-700", { name: "Slow" });
    const t0 = Date.now();
    const held = await api.runs.create.mutate({ agentId: slow.id, input: unique("slow"), waitMs: 100 });
    expect(Date.now() - t0).toBeLessThan(700);
    expect(held.status).toBe("running");
    expect(held.run).toMatchObject({ id: held.id, status: "running", output: null });
    expect(await waitForRun(api, held.id)).toMatchObject({ status: "succeeded" });

    // Without waitMs: no run in the answer, as before. Past the limit: a clear BAD_REQUEST, and no run.
    const plain = await api.runs.create.mutate({ agentId: agent.id, input: unique("plain") });
    expect(plain).toEqual({ id: plain.id, status: "queued" });
    const before = (await api.runs.list.query({ agentId: agent.id })).items.length;
    const err = await expectTrpcError(
      api.runs.create.mutate({ agentId: agent.id, input: "too long a wait", waitMs: 60_001 }),
      "BAD_REQUEST",
    );
    expect((err.data as { issues?: { path: string[]; message: string }[] }).issues).toEqual([
      expect.objectContaining({ path: ["waitMs"], message: expect.stringContaining("Wait at most 60000 ms") }),
    ]);
    expect((await api.runs.list.query({ agentId: agent.id })).items.length).toBe(before);
  });

  it("acknowledges a redelivered message for a finished run and does nothing", async () => {
    const { api } = await signUpWithTeam("redeliver");
    const agent = await agentOnFakeModel(api);
    const marker = unique("redelivered");
    const { id } = await api.runs.create.mutate({ agentId: agent.id, input: marker });
    const before = await waitForRun(api, id);

    const batch = createMessageBatch("autoclaw-runs", [{ id: "m1", timestamp: new Date(), attempts: 2, body: { runId: id } }]);
    const ctx = createExecutionContext();
    await worker.queue(batch, env as never);
    const result = await getQueueResult(batch, ctx);
    expect(result.explicitAcks).toEqual(["m1"]);
    expect(result.retryMessages).toEqual([]);
    expect(await fakeRequests(marker)).toHaveLength(1);
    const after = await api.runs.get.query({ id });
    expect({ ...after, artifacts: after.artifacts.map((a) => a.name) }).toEqual({
      ...before,
      artifacts: before.artifacts.map((a) => a.name),
    });
  });

  it("fails at once on a provider 4xx, with the key redacted from the reason", async () => {
    const { api } = await signUpWithTeam("p400");
    const agent = await agentOnFakeModel(api, "fail-400");
    const { id } = await api.runs.create.mutate({ agentId: agent.id, input: unique("bad request") });
    const run = await waitForRun(api, id);
    expect(run.status).toBe("failed");
    expect(run.attempts).toBe(1);
    expect(run.error).toMatch(/Model provider answered 400: Incorrect API key provided/);
    expect(run.error).not.toContain(BYOK_KEY);
    expect(run.error).not.toContain(BYOK_KEY.slice(0, 5));
    expect(run.error).not.toContain(BYOK_KEY.slice(-6));
  });

  it("retries a transient failure and succeeds on a later attempt", async () => {
    const { api } = await signUpWithTeam("flaky");
    const agent = await agentOnFakeModel(api, "flaky");
    const marker = unique("flaky");
    const { id } = await api.runs.create.mutate({ agentId: agent.id, input: marker });
    const run = await waitForRun(api, id);
    expect(run).toMatchObject({ status: "succeeded", attempts: 2, error: null, output: `Echo: ${marker}` });
    expect(run.events.map((e) => e.kind)).toEqual(["queued", "started", "retrying", "started", "succeeded"]);
    expect(run.events[2]!.message).toMatch(/503/);
    expect((await fakeRequests(marker)).map((r) => r.status)).toEqual([503, 200]);
  });

  it("after the last attempt, the run fails with the reason", async () => {
    const { api } = await signUpWithTeam("dlq");
    const agent = await agentOnFakeModel(api, "fail-503");
    const marker = unique("overloaded");
    const { id } = await api.runs.create.mutate({ agentId: agent.id, input: marker });
    const run = await waitForRun(api, id, ["failed"], 40_000);
    // The hand-over's attempt + max_retries (5) from wrangler.toml.
    expect(run.attempts).toBe(6);
    expect(run.error).toMatch(/^Gave up after \d+ attempts\. Last error: Model provider answered 503/);
    expect(await fakeRequests(marker)).toHaveLength(6);
  }, 60_000);

  it("times out a model that never answers and retries it", async () => {
    const { api } = await signUpWithTeam("hang");
    const agent = await agentOnFakeModel(api, "hang");
    const { id } = await api.runs.create.mutate({ agentId: agent.id, input: unique("hang") });
    // The first attempt times out (MODEL_TIMEOUT_MS is 1.5 s in tests) and is put back for a retry.
    let run = await api.runs.get.query({ id });
    for (const deadline = Date.now() + 15_000; !run.events.some((e) => e.kind === "retrying"); run = await api.runs.get.query({ id })) {
      if (Date.now() > deadline) throw new Error("no retry recorded");
      await new Promise((res) => setTimeout(res, 100));
    }
    expect(run.events.find((e) => e.kind === "retrying")!.message).toMatch(/did not answer within 2 s/);
    // Stop it retrying: a run waiting for its retry is queued and can be cancelled (the retries
    // follow each other closely here: RUN_RETRY_DELAY_SECONDS is 0 in tests).
    for (const deadline = Date.now() + 15_000; Date.now() < deadline; await new Promise((res) => setTimeout(res, 50))) {
      if ((await api.runs.cancel.mutate({ id }).catch(() => undefined))?.status === "canceled") break;
    }
  }, 30_000);

  it("never runs two turns of one agent at once, while different agents run in parallel", async () => {
    const { api } = await signUpWithTeam("serial");
    const a = await agentOnFakeModel(api, "slow-400", { name: "A" });
    const b = await api.agents.create.mutate({ templateId: "personal-assistant", name: "B", model: "custom/slow-400" });
    const tag = unique("serial");
    const created = await Promise.all([
      ...[1, 2, 3].map((i) => api.runs.create.mutate({ agentId: a.id, input: `${tag} A${i}` })),
      ...[1, 2, 3].map((i) => api.runs.create.mutate({ agentId: b.id, input: `${tag} B${i}` })),
    ]);
    for (const r of created) expect((await waitForRun(api, r.id)).status).toBe("succeeded");

    const reqs = await fakeRequests(tag);
    const spans = (who: string) =>
      reqs.filter((r) => r.messages.at(-1)!.content.includes(` ${who}`)).map((r) => [r.startedAt, r.endedAt!] as const);
    const overlaps = (x: readonly [number, number], y: readonly [number, number]) => x[0] < y[1] && y[0] < x[1];
    for (const who of ["A", "B"]) {
      const s = spans(who).sort((p, q) => p[0] - q[0]);
      expect(s).toHaveLength(3);
      for (let i = 1; i < s.length; i++) expect(overlaps(s[i - 1]!, s[i]!)).toBe(false);
    }
    expect(spans("A").some((x) => spans("B").some((y) => overlaps(x, y)))).toBe(true);
  }, 30_000);

  it("cancels a queued run, which then never executes; a finished run cannot be cancelled", async () => {
    const { api } = await signUpWithTeam("cancel");
    const agent = await agentOnFakeModel(api, "slow-800");
    const tag = unique("cancel");
    const first = await api.runs.create.mutate({ agentId: agent.id, input: `${tag} first` });
    const second = await api.runs.create.mutate({ agentId: agent.id, input: `${tag} second` });
    expect(await api.runs.cancel.mutate({ id: second.id })).toEqual({ id: second.id, status: "canceled" });
    expect((await waitForRun(api, first.id)).status).toBe("succeeded");
    await new Promise((r) => setTimeout(r, 500));
    const canceled = await api.runs.get.query({ id: second.id });
    expect(canceled.status).toBe("canceled");
    expect(canceled.events.map((e) => e.kind)).toEqual(["queued", "canceled"]);
    expect(await fakeRequests(`${tag} second`)).toHaveLength(0);
    const err = await expectTrpcError(api.runs.cancel.mutate({ id: first.id }), "PRECONDITION_FAILED");
    expect(err.message).toMatch(/already succeeded/);
  });

  it("refuses runs when the team has no usable key for the agent's provider", async () => {
    const { api } = await signUpWithTeam("nokey");
    const agent = await api.agents.create.mutate({ templateId: "research-analyst", name: "R" });
    expect(agent.model).toBe("openai/gpt-4.1");
    const err = await expectTrpcError(api.runs.create.mutate({ agentId: agent.id, input: "hi" }), "PRECONDITION_FAILED");
    expect(err.message).toMatch(/no OpenAI key/);
    await api.providerKeys.set.mutate({ provider: "openai", apiKey: "sk-openai-test-key-123456" });
    const gw = await expectTrpcError(api.runs.create.mutate({ agentId: agent.id, input: "hi" }), "PRECONDITION_FAILED");
    expect(gw.message).toMatch(/AI Gateway/);
    expect((await api.runs.list.query()).items).toEqual([]);
  });

  it("meters tokens per run, summed per day and per agent in usage.summary", async () => {
    const { api } = await signUpWithTeam("usage");
    const agent = await agentOnFakeModel(api);
    const done = [];
    for (const input of ["one", "two"]) done.push(await waitForRun(api, (await api.runs.create.mutate({ agentId: agent.id, input })).id));
    const usage = await api.usage.summary.query({});
    const inTok = done.reduce((n, r) => n + r.usage.inputTokens, 0);
    const outTok = done.reduce((n, r) => n + r.usage.outputTokens, 0);
    const sums = { runs: 2, modelCalls: 2, inputTokens: inTok, outputTokens: outTok, estimatedCostUsd: 0, unpricedTokens: inTok + outTok };
    expect(usage.total).toEqual(sums);
    expect(usage.perAgent).toEqual([{ agentId: agent.id, ...sums }]);
    expect(usage.perDay).toEqual([{ day: new Date().toISOString().slice(0, 10), ...sums }]);
    expect((await api.usage.summary.query({ to: "2020-01-01T00:00:00.000Z" })).total.runs).toBe(0);
  });

  it("marks runs from API keys as source api", async () => {
    const { api } = await signUpWithTeam("apisource");
    const agent = await agentOnFakeModel(api);
    const { key } = await api.apiKeys.create.mutate({ name: "bot" });
    const { id } = await client({ apiKey: key }).runs.create.mutate({ agentId: agent.id, input: "from the API" });
    expect((await waitForRun(api, id)).source).toBe("api");
  });
});
