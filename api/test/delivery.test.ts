// How RUN_QUEUE's deliveries reach runs: the consumer only hands runs over (a backlog never holds a
// message past its visibility), redeliveries and out-of-order deliveries execute nothing twice, the
// dead-letter consumer fails only runs whose attempts are spent, and no run stays `running` once
// its executor is gone.
import { createExecutionContext, createMessageBatch, createScheduledController, env, getQueueResult } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import worker from "../src/index";
import { agentOnFakeModel, fakeRequests, signUpWithTeam, unique, waitForRun } from "./helpers";

async function insertRun(
  tenantId: string,
  agentId: string,
  input: string,
  fields: { status?: string; attempts?: number; lease?: number | null; error?: string | null } = {},
) {
  const id = `run_${unique("dl").replace(/[^a-z0-9]/gi, "")}`;
  await env.DB.prepare(
    "insert into runs (id, tenant_id, agent_id, status, source, input, model, attempts, lease_expires_at, error, created_at, updated_at) values (?, ?, ?, ?, 'api', ?, 'custom/echo', ?, ?, ?, ?, ?)",
  )
    .bind(
      id,
      tenantId,
      agentId,
      fields.status ?? "queued",
      input,
      fields.attempts ?? 0,
      fields.lease ?? null,
      fields.error ?? null,
      Date.now(),
      Date.now(),
    )
    .run();
  return id;
}

async function deliver(queue: string, bodies: unknown[]) {
  const batch = createMessageBatch(
    queue,
    bodies.map((body, i) => ({ id: `m${i}`, timestamp: new Date(), attempts: 1, body })),
  );
  await worker.queue(batch as never, env as never);
  return getQueueResult(batch, createExecutionContext());
}

describe("run delivery", () => {
  it("the consumer hands a run to its agent and acknowledges without waiting for the turn", async () => {
    const { api, team } = await signUpWithTeam("handoff");
    const agent = await agentOnFakeModel(api, "slow-1000");
    const id = await insertRun(team.id, agent.id, unique("backlog"));
    const result = await deliver("autoclaw-runs", [{ runId: id, tenantId: team.id, agentId: agent.id }]);
    expect(result.explicitAcks).toEqual(["m0"]);
    expect(result.retryMessages).toEqual([]);
    // Acknowledged before the model has answered: a long backlog never outlives the message's visibility.
    expect(["queued", "running"]).toContain((await api.runs.get.query({ id })).status);
    expect(await waitForRun(api, id)).toMatchObject({ status: "succeeded", attempts: 1 });
  });

  it("a dead-lettered message for a run that has not had its attempts does not fail it; the run still executes", async () => {
    const { api, team } = await signUpWithTeam("dlq-early");
    const agent = await agentOnFakeModel(api);
    const marker = unique("never ran");
    const id = await insertRun(team.id, agent.id, marker);
    expect((await deliver("autoclaw-runs-dlq", [{ runId: id }])).explicitAcks).toEqual(["m0"]);
    expect((await api.runs.get.query({ id })).status).not.toBe("failed");
    expect(await waitForRun(api, id)).toMatchObject({ status: "succeeded", output: `Echo: ${marker}` });
    expect(await fakeRequests(marker)).toHaveLength(1);
  });

  it("the dead-letter consumer fails a run whose attempts are spent, with its last reason", async () => {
    const { api, team } = await signUpWithTeam("dlq-spent");
    const agent = await agentOnFakeModel(api);
    const id = await insertRun(team.id, agent.id, "x", { attempts: 6, error: "Model provider answered 503: busy" });
    expect((await deliver("autoclaw-runs-dlq", [{ runId: id }])).explicitAcks).toEqual(["m0"]);
    expect(await api.runs.get.query({ id })).toMatchObject({
      status: "failed",
      error: "Gave up after 6 attempts. Last error: Model provider answered 503: busy",
    });
  });

  it("every message delivered three times and out of order: each run's model call happens once", async () => {
    const { api, team } = await signUpWithTeam("thrice");
    const [one, two] = [await agentOnFakeModel(api, "echo", { name: "one" }), await agentOnFakeModel(api, "echo", { name: "two" })];
    const runs = await Promise.all(
      [one, one, two, two].map(async (agent) => {
        const marker = unique("thrice");
        return { marker, agent, id: await insertRun(team.id, agent.id, marker) };
      }),
    );
    const bodies = runs.flatMap((r) => [
      { runId: r.id, tenantId: team.id, agentId: r.agent.id },
      { runId: r.id },
      { runId: r.id, tenantId: team.id, agentId: r.agent.id },
    ]);
    // A fixed shuffle: the second delivery of the last run comes first, and so on.
    const shuffled = bodies
      .map((b, i) => ({ b, k: (i * 7) % bodies.length }))
      .sort((x, y) => x.k - y.k)
      .map((x) => x.b);
    const result = await deliver("autoclaw-runs", shuffled);
    expect(result.explicitAcks).toHaveLength(bodies.length);
    for (const r of runs) {
      expect(await waitForRun(api, r.id)).toMatchObject({ status: "succeeded", attempts: 1, output: `Echo: ${r.marker}` });
      expect(await fakeRequests(r.marker)).toHaveLength(1);
    }
  });

  it("the reaper re-sends a run left queued (its message lost), which then executes", async () => {
    const { api, team } = await signUpWithTeam("lost");
    const agent = await agentOnFakeModel(api);
    const marker = unique("lost message");
    const id = await insertRun(team.id, agent.id, marker);
    await env.DB.prepare("update runs set updated_at = ? where id = ?")
      .bind(Date.now() - 60 * 60_000, id)
      .run();
    await worker.scheduled(createScheduledController(), env as never);
    expect(await waitForRun(api, id)).toMatchObject({ status: "succeeded", output: `Echo: ${marker}` });
  });

  it("a run whose executor is gone (its lease lapsed) does not stay running: it runs again while it has attempts", async () => {
    const { api, team } = await signUpWithTeam("orphan");
    const agent = await agentOnFakeModel(api);
    const marker = unique("orphaned");
    const orphan = await insertRun(team.id, agent.id, marker, { status: "running", attempts: 1, lease: Date.now() - 1000 });
    const spent = await insertRun(team.id, agent.id, "spent", { status: "running", attempts: 6, lease: Date.now() - 1000 });
    await worker.scheduled(createScheduledController(), env as never);
    expect(await waitForRun(api, orphan)).toMatchObject({ status: "succeeded", attempts: 2, output: `Echo: ${marker}` });
    expect(await api.runs.get.query({ id: spent })).toMatchObject({ status: "failed", error: expect.stringMatching(/executor stopped/) });
  });
});
