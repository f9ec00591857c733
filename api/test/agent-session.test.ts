// An agent's AgentSession: its watchdog alarm (set while there is work, not rewritten for every run) and the
// inbox it picks up from that alarm when the instance that accepted a run is gone.
import { createExecutionContext, env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import worker from "../src/index";
import { entryKey, WATCHDOG_MS } from "../src/durable-objects/agent-session";
import { agentOnFakeModel, client, signUpWithTeam, unique, waitForRun } from "./helpers";

describe("agent session", () => {
  it("keeps one watchdog alarm across runs, and runs from its alarm an inbox entry an instance left behind", async () => {
    const { user, team, api } = await signUpWithTeam("session");
    const agent = await agentOnFakeModel(api);
    const stub = env.AGENT_SESSION.getByName(`tenant:${team.id}:agent:${agent.id}`);
    const alarm = () => runInDurableObject(stub, (_obj, state) => state.storage.getAlarm());

    const first = await api.runs.create.mutate({ agentId: agent.id, input: unique("one"), waitMs: 10_000 });
    expect(first.status).toBe("succeeded");
    const set = await alarm();
    expect(set).toBeGreaterThan(Date.now());
    expect(set).toBeLessThanOrEqual(Date.now() + WATCHDOG_MS);
    // A second run finds the watchdog pending and leaves it as it is.
    expect((await api.runs.create.mutate({ agentId: agent.id, input: unique("two"), waitMs: 10_000 })).status).toBe("succeeded");
    expect(await alarm()).toBe(set);

    // A run accepted by an instance that went before working on it: queued in D1, in the inbox, no one
    // at work. (Made with the hand-over failing, then put in the inbox as enqueue leaves it.)
    const unreachable = {
      getByName: () => ({
        enqueue: async () => {
          throw new Error("gone");
        },
      }),
    };
    const queue = { send: async () => undefined };
    const { id } = await client(
      { cookie: user.cookie, tenantId: team.id },
      { send: (req) => worker.fetch(req, { ...env, AGENT_SESSION: unreachable, RUN_QUEUE: queue } as never, createExecutionContext()) },
    ).runs.create.mutate({ agentId: agent.id, input: unique("left behind") });
    expect((await api.runs.get.query({ id })).status).toBe("queued");
    await runInDurableObject(stub, (_obj, state) => {
      const key = entryKey(Date.now(), id);
      state.storage.kv.put(key, { runId: id, notBefore: 0 });
      state.storage.kv.put(`id:${id}`, key);
    });
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await waitForRun(api, id)).toMatchObject({ status: "succeeded", attempts: 1 });
    await runInDurableObject(stub, (_obj, state) => expect([...state.storage.kv.list({ prefix: "q:" })]).toEqual([]));
  });
});
