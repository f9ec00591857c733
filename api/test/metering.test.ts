// Metering: every model call is recorded once with its run, tokens and latency, summed per day, agent and model,
// and usage.summary reads those sums (with estimated costs from the price table).
import { env, SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { estimateCostUsd, MODEL_PRICES } from "@autoclaw/shared";
import { meterModelCall } from "../src/domain/metering";
import { createDb } from "../src/db/client";
import { agentOnFakeModel, expectTrpcError, fakeRequests, runtimeWithToken, signUpWithTeam, unique, waitForRun } from "./helpers";

const sum = (rs: { usage: { prompt_tokens: number; completion_tokens: number } | null }[]) => ({
  inputTokens: rs.reduce((n, r) => n + (r.usage?.prompt_tokens ?? 0), 0),
  outputTokens: rs.reduce((n, r) => n + (r.usage?.completion_tokens ?? 0), 0),
});

describe("metering", () => {
  it("totals equal the usage the model reported, over every call of every run (direct mode)", async () => {
    const { api } = await signUpWithTeam("meter-direct");
    const agent = await agentOnFakeModel(api);
    const marker = unique("metered");
    const runs = [];
    for (const n of [1, 2, 3])
      runs.push(await waitForRun(api, (await api.runs.create.mutate({ agentId: agent.id, input: `${marker} ${n}` })).id));
    const seen = await fakeRequests(marker);
    expect(seen).toHaveLength(3);
    const reported = sum(seen);
    expect(reported.inputTokens).toBeGreaterThan(0);

    const usage = await api.usage.summary.query({});
    expect(usage.total).toMatchObject({
      runs: 3,
      modelCalls: 3,
      ...reported,
      unpricedTokens: reported.inputTokens + reported.outputTokens,
    });
    expect(usage.perAgent).toEqual([expect.objectContaining({ agentId: agent.id, runs: 3, modelCalls: 3, ...reported })]);
    expect(usage.perModel).toEqual([
      expect.objectContaining({ model: "custom/echo", modelCalls: 3, estimatedCalls: 0, priced: false, estimatedCostUsd: 0, ...reported }),
    ]);
    expect(usage.perDay).toEqual([expect.objectContaining({ day: new Date().toISOString().slice(0, 10), runs: 3, ...reported })]);
    // Each call's row names its run, and the run's own usage is the same count.
    const rows = await env.DB.prepare(
      "select run_id, input_tokens, output_tokens, latency_ms, estimated from model_usage where run_id in (?, ?, ?)",
    )
      .bind(...runs.map((r) => r.id))
      .all<{ run_id: string; input_tokens: number; output_tokens: number; latency_ms: number; estimated: number }>();
    expect(rows.results).toHaveLength(3);
    for (const r of runs) {
      const row = rows.results.find((x) => x.run_id === r.id)!;
      expect({ inputTokens: row.input_tokens, outputTokens: row.output_tokens }).toEqual(r.usage);
      expect(row.estimated).toBe(0);
      expect(row.latency_ms).toBeGreaterThanOrEqual(0);
    }
    expect((await api.usage.summary.query({ to: "2020-01-01T00:00:00.000Z" })).total.modelCalls).toBe(0);
  });

  it("counts the tokens from the text when a provider reports no usage, and says the count is estimated", async () => {
    const { api } = await signUpWithTeam("meter-estimated");
    const agent = await agentOnFakeModel(api, "no-usage");
    const marker = unique("uncounted");
    const run = await waitForRun(api, (await api.runs.create.mutate({ agentId: agent.id, input: marker })).id);
    expect(run.status).toBe("succeeded");
    expect((await fakeRequests(marker))[0]!.usage).toBeNull();
    // About 4 characters a token, both ways.
    expect(run.usage.outputTokens).toBe(Math.ceil(`Echo: ${marker}`.length / 4));
    const { perModel } = await api.usage.summary.query({});
    expect(perModel).toEqual([
      expect.objectContaining({ model: "custom/no-usage", modelCalls: 1, estimatedCalls: 1, outputTokens: run.usage.outputTokens }),
    ]);
  });

  it("meters the model proxy's calls for the agent's running run, streamed or not, estimated when the stream carries no usage", async () => {
    const { api, team, token } = await runtimeWithToken("meter-proxy");
    const ask = async (model: string, stream: boolean, content: string) => {
      const res = await SELF.fetch("http://127.0.0.1/api/model/v1/chat/completions", {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json", "x-autoclaw-agent": "ag_metered" },
        body: JSON.stringify({ model, stream, messages: [{ role: "user", content }] }),
      });
      await res.text();
      expect(res.status).toBe(200);
    };
    const marker = unique("proxied");
    await ask("custom/echo", true, `${marker} streamed`);
    await ask("custom/echo", false, `${marker} whole`);
    await ask("custom/no-usage", true, `${marker} unreported`);
    // The stream's row is written after its last byte (waitUntil): poll for all three.
    let rows: { model: string; estimated: number; input_tokens: number; output_tokens: number }[] = [];
    for (let i = 0; i < 50 && rows.length < 3; i++, await new Promise((r) => setTimeout(r, 50)))
      rows = (
        await env.DB.prepare(
          "select model, estimated, input_tokens, output_tokens from model_usage where tenant_id = ? and agent_id = 'ag_metered'",
        )
          .bind(team.id)
          .all<(typeof rows)[number]>()
      ).results;
    expect(rows).toHaveLength(3);
    const reported = sum((await fakeRequests(marker)).filter((r) => r.usage));
    const { perModel, perAgent } = await api.usage.summary.query({});
    expect(perModel.find((m) => m.model === "custom/echo")).toMatchObject({ modelCalls: 2, estimatedCalls: 0, ...reported });
    expect(perModel.find((m) => m.model === "custom/no-usage")).toMatchObject({ modelCalls: 1, estimatedCalls: 1 });
    expect(rows.find((r) => r.model === "custom/no-usage")).toMatchObject({ estimated: 1 });
    expect(rows.find((r) => r.model === "custom/no-usage")!.output_tokens).toBeGreaterThan(0);
    // Calls are the agent's even with no run of it in D1.
    expect(perAgent.find((a) => a.agentId === "ag_metered")).toMatchObject({ modelCalls: 3, runs: 0 });
  });

  it("estimates cost from the price table, per model, and keeps unpriced models' tokens apart", async () => {
    const { api, team } = await signUpWithTeam("meter-cost");
    const db = createDb(env.DB);
    const at = new Date();
    const call = { tenantId: team.id, agentId: "ag_cost", runId: null, status: 200, estimated: false, latencyMs: 5, error: null, at };
    await meterModelCall(db, { ...call, model: "openai/gpt-4.1-mini", inputTokens: 1_000_000, outputTokens: 500_000 });
    await meterModelCall(db, { ...call, model: "openai/gpt-4.1-mini", inputTokens: 250_000, outputTokens: 0 });
    await meterModelCall(db, { ...call, model: "anthropic/claude-sonnet-4-5", inputTokens: 10_000, outputTokens: 2_000 });
    await meterModelCall(db, { ...call, model: "custom/llama3.2", inputTokens: 700, outputTokens: 300 });
    const price = MODEL_PRICES["openai/gpt-4.1-mini"]!;
    const mini = (1_250_000 * price.inputPerMTok + 500_000 * price.outputPerMTok) / 1e6;
    const sonnet = estimateCostUsd("anthropic/claude-sonnet-4-5", 10_000, 2_000)!;
    expect(mini).toBeCloseTo(1.3, 10);
    expect(sonnet).toBeCloseTo(0.06, 10);

    const usage = await api.usage.summary.query({});
    expect(usage.total.estimatedCostUsd).toBeCloseTo(mini + sonnet, 10);
    expect(usage.total.unpricedTokens).toBe(1000);
    expect(usage.total.modelCalls).toBe(4);
    expect(usage.perModel.map((m) => [m.model, m.modelCalls, m.priced])).toEqual([
      ["openai/gpt-4.1-mini", 2, true],
      ["anthropic/claude-sonnet-4-5", 1, true],
      ["custom/llama3.2", 1, false],
    ]);
    expect(usage.perModel[0]!.estimatedCostUsd).toBeCloseTo(mini, 10);
    expect(usage.perModel[2]).toMatchObject({ estimatedCostUsd: 0, unpricedTokens: 1000 });
    // Another team sees none of it.
    const other = await signUpWithTeam("meter-cost-other");
    expect((await other.api.usage.summary.query({})).total).toMatchObject({ modelCalls: 0, estimatedCostUsd: 0 });
  });
});

describe("a team's own prices for its custom models", () => {
  it("cost estimates and cost budgets use them; list-priced models cannot be overridden", async () => {
    const { api } = await signUpWithTeam("meter-own-price");
    const agent = await agentOnFakeModel(api);
    const run = await waitForRun(api, (await api.runs.create.mutate({ agentId: agent.id, input: unique("priced by the team") })).id);
    expect((await api.usage.summary.query({})).total.estimatedCostUsd).toBe(0);

    const prices = await api.usage.setPrice.mutate({ model: "custom/echo", inputPerMTok: 1000, outputPerMTok: 500 });
    expect(prices.team).toEqual([{ model: "custom/echo", inputPerMTok: 1000, outputPerMTok: 500 }]);
    expect(prices.list.some((p) => p.model === "openai/gpt-4.1")).toBe(true);
    const cost = (run.usage.inputTokens * 1000 + run.usage.outputTokens * 500) / 1e6;
    const summary = await api.usage.summary.query({});
    expect(summary.total.estimatedCostUsd).toBeCloseTo(cost, 10);
    expect(summary.total.unpricedTokens).toBe(0);
    expect(summary.perModel[0]).toMatchObject({ model: "custom/echo", priced: true });
    // The cost budget is counted in the team's price too.
    expect((await api.usage.setBudget.mutate({ monthlyCostUsd: cost })).state).toBe("exhausted");
    await expectTrpcError(api.runs.create.mutate({ agentId: agent.id, input: "over" }), "FORBIDDEN");
    // Removing the price makes the model free again, and the run goes through.
    await api.usage.removePrice.mutate({ model: "custom/echo" });
    expect((await api.usage.budget.query()).usedCostUsd).toBe(0);
    expect((await waitForRun(api, (await api.runs.create.mutate({ agentId: agent.id, input: "free again" })).id)).status).toBe("succeeded");

    const err = await expectTrpcError(
      api.usage.setPrice.mutate({ model: "openai/gpt-4.1", inputPerMTok: 0, outputPerMTok: 0 }),
      "BAD_REQUEST",
    );
    expect(err.data?.issues?.[0]?.message).toBe("Only custom/<model> models take a team's own price");
    await expectTrpcError(api.usage.setPrice.mutate({ model: "custom/echo", inputPerMTok: -1, outputPerMTok: 0 }), "BAD_REQUEST");
    expect((await api.usage.prices.query()).team).toEqual([]);
  });
});
