// Budgets: a team's monthly token and cost ceilings, the 80 % warning and the refusal at 100 %, at the edge under
// concurrent runs, and the one-line Telegram notice.
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { createDb } from "../src/db/client";
import { meterModelCall } from "../src/domain/metering";
import { agentOnFakeModel, expectTrpcError, signUpWithTeam, waitForRun } from "./helpers";

const resetDay = () => {
  const now = new Date();
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1)).toLocaleDateString("en-GB", {
    day: "numeric",
    month: "long",
    year: "numeric",
    timeZone: "UTC",
  });
};

describe("budgets", () => {
  it("an admin sets and clears budgets; bad input is refused and changes nothing", async () => {
    const { api } = await signUpWithTeam("budget-set");
    expect(await api.usage.budget.query()).toMatchObject({
      monthlyTokens: null,
      monthlyCostUsd: null,
      usedTokens: 0,
      state: "none",
      message: null,
    });
    const set = await api.usage.setBudget.mutate({ monthlyTokens: 50_000, monthlyCostUsd: 12.5 });
    expect(set).toMatchObject({ monthlyTokens: 50_000, monthlyCostUsd: 12.5, state: "ok" });
    const next = new Date(set.resetsAt);
    expect(next.getUTCDate()).toBe(1);
    expect(next.getTime()).toBeGreaterThan(Date.now());
    // Absent leaves a budget as it is; null clears it.
    expect(await api.usage.setBudget.mutate({ monthlyCostUsd: null })).toMatchObject({ monthlyTokens: 50_000, monthlyCostUsd: null });

    for (const bad of [{ monthlyTokens: -5 }, { monthlyTokens: 1.5 }, { monthlyCostUsd: 0 }, {}, { monthlyTokens: 10, extra: 1 }]) {
      const err = await expectTrpcError(api.usage.setBudget.mutate(bad as never), "BAD_REQUEST");
      expect(err.data?.issues?.length).toBeGreaterThan(0);
    }
    expect(await api.usage.budget.query()).toMatchObject({ monthlyTokens: 50_000, monthlyCostUsd: null });
  });

  it("warns at 80 % and refuses new runs at 100 %, saying which budget and when it resets", async () => {
    const { api } = await signUpWithTeam("budget-edge");
    const agent = await agentOnFakeModel(api);
    const first = await waitForRun(api, (await api.runs.create.mutate({ agentId: agent.id, input: "spend a little" })).id);
    const spent = first.usage.inputTokens + first.usage.outputTokens;
    expect((await api.usage.budget.query()).usedTokens).toBe(spent);

    const warned = await api.usage.setBudget.mutate({ monthlyTokens: Math.ceil(spent / 0.85) });
    expect(warned.state).toBe("warning");
    expect(warned.message).toMatch(/^This team has used 8[45] % of its monthly token budget of [\d,]+ tokens; it resets on /);
    // Still under: runs go on.
    const second = await waitForRun(api, (await api.runs.create.mutate({ agentId: agent.id, input: "a bit more" })).id);
    expect(second.status).toBe("succeeded");

    const budget = await api.usage.budget.query();
    expect(budget.state).toBe("exhausted");
    const err = await expectTrpcError(api.runs.create.mutate({ agentId: agent.id, input: "one too many" }), "FORBIDDEN");
    expect(err.message).toBe(
      `This team's monthly token budget of ${budget.monthlyTokens!.toLocaleString("en")} tokens is used up: new runs are refused until it resets on ${resetDay()} (UTC). An admin can raise it in Usage.`,
    );
    expect((await api.runs.list.query({ agentId: agent.id })).items).toHaveLength(2);
    // Raising it lets runs through again.
    await api.usage.setBudget.mutate({ monthlyTokens: budget.usedTokens * 10 });
    expect((await waitForRun(api, (await api.runs.create.mutate({ agentId: agent.id, input: "again" })).id)).status).toBe("succeeded");
  });

  it("a burst of runs at the edge overshoots by no more than the run already executing", async () => {
    const { api } = await signUpWithTeam("budget-burst");
    const agent = await agentOnFakeModel(api);
    const probe = await waitForRun(api, (await api.runs.create.mutate({ agentId: agent.id, input: "burst 0" })).id);
    const perRun = probe.usage.inputTokens + probe.usage.outputTokens;
    // Room for about one more run.
    await api.usage.setBudget.mutate({ monthlyTokens: Math.floor(perRun * 1.5) });
    const created = await Promise.all([1, 2, 3, 4, 5, 6].map((n) => api.runs.create.mutate({ agentId: agent.id, input: `burst ${n}` })));
    const finished = await Promise.all(created.map((r) => waitForRun(api, r.id)));
    const ran = finished.filter((r) => r.status === "succeeded");
    const refused = finished.filter((r) => r.status === "failed");
    // The agent runs one turn at a time: once the budget is spent, the queued ones do not start.
    expect(ran.length).toBeGreaterThanOrEqual(1);
    expect(ran.length).toBeLessThanOrEqual(2);
    expect(refused.length).toBe(6 - ran.length);
    for (const r of refused) expect(r.error).toContain("monthly token budget");
    const { usedTokens, monthlyTokens } = await api.usage.budget.query();
    expect(usedTokens).toBeLessThanOrEqual(monthlyTokens! + perRun * 2);
  });

  it("a cost budget counts the price table's estimate", async () => {
    const { api, team } = await signUpWithTeam("budget-cost");
    const agent = await agentOnFakeModel(api);
    // A million input tokens on gpt-4.1 at $2 per million: $2.00, as the model proxy would have metered them.
    await meterModelCall(createDb(env.DB), {
      tenantId: team.id,
      agentId: agent.id,
      runId: null,
      model: "openai/gpt-4.1",
      status: 200,
      inputTokens: 1_000_000,
      outputTokens: 0,
      estimated: false,
      latencyMs: 10,
      error: null,
      at: new Date(),
    });
    expect((await api.usage.setBudget.mutate({ monthlyCostUsd: 2.4 })).state).toBe("warning");
    expect((await api.usage.budget.query()).usedCostUsd).toBeCloseTo(2, 10);
    await api.usage.setBudget.mutate({ monthlyCostUsd: 2 });
    const err = await expectTrpcError(api.runs.create.mutate({ agentId: agent.id, input: "costly" }), "FORBIDDEN");
    expect(err.message).toContain("monthly cost budget of $2.00 (estimated) is used up");
    // Custom models have no price: their tokens never count against a cost budget.
    await api.usage.setBudget.mutate({ monthlyCostUsd: 2.01 });
    const run = await waitForRun(api, (await api.runs.create.mutate({ agentId: agent.id, input: "free model" })).id);
    expect(run.status).toBe("succeeded");
    expect((await api.usage.budget.query()).usedCostUsd).toBeCloseTo(2, 10);
  });
});
