import { SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { ORIGIN, agentOnFakeModel, expectTrpcError, signUpWithTeam, unique, waitForRun } from "./helpers";

describe("tenant isolation for agents, runs, artifacts and keys", () => {
  it("another team gets NOT_FOUND for everything of ours, and sees none of it in lists", async () => {
    const a = await signUpWithTeam("iso-a");
    const b = await signUpWithTeam("iso-b");
    const agent = await agentOnFakeModel(a.api);
    const { id } = await a.api.runs.create.mutate({ agentId: agent.id, input: unique("private") });
    const run = await waitForRun(a.api, id);

    await expectTrpcError(b.api.agents.get.query({ id: agent.id }), "NOT_FOUND");
    await expectTrpcError(b.api.agents.update.mutate({ id: agent.id, name: "mine now" }), "NOT_FOUND");
    await expectTrpcError(b.api.agents.remove.mutate({ id: agent.id }), "NOT_FOUND");
    await expectTrpcError(b.api.runs.get.query({ id }), "NOT_FOUND");
    await expectTrpcError(b.api.runs.cancel.mutate({ id }), "NOT_FOUND");
    await agentOnFakeModel(b.api);
    await expectTrpcError(b.api.runs.create.mutate({ agentId: agent.id, input: "use their agent" }), "NOT_FOUND");
    expect(await b.api.agents.list.query()).not.toContainEqual(expect.objectContaining({ id: agent.id }));
    expect((await b.api.runs.list.query()).items).toEqual([]);
    expect((await b.api.runs.list.query({ agentId: agent.id })).items).toEqual([]);
    expect((await b.api.providerKeys.list.query()).every((k) => k.baseUrl !== null)).toBe(true);
    expect(await a.api.agents.get.query({ id: agent.id })).toMatchObject({ id: agent.id });

    // Artifact links: only a valid, unexpired signature opens one.
    const url = new URL(ORIGIN + run.artifacts[0]!.url);
    expect((await SELF.fetch(url)).status).toBe(200);
    const forged = new URL(url);
    forged.searchParams.set(
      "sig",
      url.searchParams.get("sig")!.replace(/^./, (c) => (c === "A" ? "B" : "A")),
    );
    expect((await SELF.fetch(forged)).status).toBe(403);
    const extended = new URL(url);
    extended.searchParams.set("exp", String(Number(url.searchParams.get("exp")) + 3_600_000));
    expect((await SELF.fetch(extended)).status).toBe(403);
    expect((await SELF.fetch(`${ORIGIN}/api/artifacts/%E0%A4%A/output.md?exp=1&sig=x`)).status).toBe(403);
    const bare = new URL(url);
    bare.search = "";
    expect((await SELF.fetch(bare)).status).toBe(403);
  });
});
