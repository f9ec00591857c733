// Who may do what inside a team (shared/access.ts): roles that mean something and API keys with
// scopes. Each finding of the review is its own test; each failed on the code before the matrix.
import { describe, expect, it } from "vitest";
import { agentOnFakeModel, client, expectTrpcError, joinTeam, signUp, signUpWithTeam, waitForRun } from "./helpers";

async function teamWithMember(label: string) {
  const owner = await signUpWithTeam(label);
  const mate = await signUp(`${label}-mate`);
  await joinTeam(owner.api, mate);
  return { ...owner, mate: client({ cookie: mate.cookie }) };
}

describe("API keys act for a team with the scopes they were given", () => {
  it("no key can mint another key or add a person to the team, whatever its scopes", async () => {
    const { api } = await signUpWithTeam("key-foothold");
    const { key } = await api.apiKeys.create.mutate({ name: "all scopes", scopes: ["read", "runs", "agents"] });
    const asKey = client({ apiKey: key });
    const refused = await expectTrpcError(asKey.apiKeys.create.mutate({ name: "made by a key" }), "FORBIDDEN");
    expect(refused.message).toBe("API keys cannot do this: a team owner or admin must");
    const other = await signUp("would-be-admin");
    await expectTrpcError(asKey.tenants.invite.mutate({ email: other.email, role: "admin" }), "FORBIDDEN");
    await expectTrpcError(
      asKey.providerKeys.set.mutate({ provider: "custom", apiKey: "sk-x-0123456789", baseUrl: "https://m.example/v1" }),
      "FORBIDDEN",
    );
    await expectTrpcError(asKey.billing.portal.mutate(), "FORBIDDEN");
    // Nothing changed: one key, one person.
    expect(await api.apiKeys.list.query()).toHaveLength(1);
    expect((await api.tenants.current.query()).members).toHaveLength(1);
  });

  it("gets the scopes chosen at creation, shown in the list; the default runs agents and no more", async () => {
    const { api } = await signUpWithTeam("key-scopes");
    const agent = await agentOnFakeModel(api);
    const byDefault = await api.apiKeys.create.mutate({ name: "integration" });
    expect(byDefault.scopes).toEqual(["read", "runs"]);
    const reader = await api.apiKeys.create.mutate({ name: "dashboard mirror", scopes: ["read"] });
    const builder = await api.apiKeys.create.mutate({ name: "provisioning", scopes: ["agents", "read"] });
    expect((await api.apiKeys.list.query()).map((k) => [k.name, k.scopes])).toEqual(
      expect.arrayContaining([
        ["integration", ["read", "runs"]],
        ["dashboard mirror", ["read"]],
        ["provisioning", ["agents", "read"]],
      ]),
    );

    const asDefault = client({ apiKey: byDefault.key });
    const { id } = await asDefault.runs.create.mutate({ agentId: agent.id, input: "from the integration" });
    expect((await waitForRun(api, id)).status).toBe("succeeded");
    const noAgents = await expectTrpcError(asDefault.agents.create.mutate({ templateId: "personal-assistant", name: "Nope" }), "FORBIDDEN");
    expect(noAgents.message).toBe('This API key lacks the "agents" scope');

    const asReader = client({ apiKey: reader.key });
    expect((await asReader.runs.get.query({ id })).status).toBe("succeeded");
    await expectTrpcError(asReader.runs.create.mutate({ agentId: agent.id, input: "nope" }), "FORBIDDEN");

    const asBuilder = client({ apiKey: builder.key });
    const made = await asBuilder.agents.create.mutate({ templateId: "personal-assistant", name: "Provisioned" });
    await asBuilder.agents.remove.mutate({ id: made.id });
    // A key cannot pair a Telegram account: pairing is a person's.
    await expectTrpcError(asBuilder.telegram.createPairingCode.mutate(), "FORBIDDEN");
  });

  it("refuses an unknown or empty scope list as BAD_REQUEST, making no key", async () => {
    const { api } = await signUpWithTeam("key-bad-scopes");
    const e = await expectTrpcError(api.apiKeys.create.mutate({ name: "x", scopes: ["admin" as "read"] }), "BAD_REQUEST");
    expect(e.data?.issues?.[0]?.path).toEqual(["scopes", 0]);
    await expectTrpcError(api.apiKeys.create.mutate({ name: "x", scopes: [] }), "BAD_REQUEST");
    expect(await api.apiKeys.list.query()).toEqual([]);
  });
});

describe("a plain member uses agents; admins manage them", () => {
  it("a member cannot delete or edit the team's agents, nor start, stop or read the runtime", async () => {
    const { api, mate } = await teamWithMember("member-limits");
    const agent = await agentOnFakeModel(api);
    await expectTrpcError(mate.agents.remove.mutate({ id: agent.id }), "FORBIDDEN");
    await expectTrpcError(mate.agents.update.mutate({ id: agent.id, model: "custom/other" }), "FORBIDDEN");
    await expectTrpcError(mate.agents.create.mutate({ templateId: "personal-assistant", name: "Mine" }), "FORBIDDEN");
    await expectTrpcError(mate.runtime.logs.query({ lines: 10 }), "FORBIDDEN");
    await expectTrpcError(mate.runtime.stop.mutate(), "FORBIDDEN");
    // Nothing changed, and what a member may do still works.
    expect(await api.agents.get.query({ id: agent.id })).toMatchObject({ id: agent.id, model: agent.model });
    expect(await mate.agents.list.query()).toHaveLength(1);
    const { id } = await mate.runs.create.mutate({ agentId: agent.id, input: "a member's question" });
    expect((await waitForRun(mate, id)).status).toBe("succeeded");
  });

  it("a member cancels only their own runs; an admin cancels anyone's", async () => {
    const { api, mate } = await teamWithMember("member-cancel");
    const agent = await agentOnFakeModel(api);
    const owners = await api.runs.create.mutate({ agentId: agent.id, input: "the owner's" });
    const mine = await mate.runs.create.mutate({ agentId: agent.id, input: "the member's" });
    const refused = await expectTrpcError(mate.runs.cancel.mutate({ id: owners.id }), "FORBIDDEN");
    expect(refused.message).toMatch(/Only the person who started a run, or a team admin/);
    // Their own run: allowed (cancelled while queued, or already past it: never FORBIDDEN).
    await mate.runs.cancel.mutate({ id: mine.id }).catch((e: Error) => expect(e.message).toMatch(/only a run that has not ended/));
    await api.runs.cancel.mutate({ id: mine.id }).catch((e: Error) => expect(e.message).toMatch(/only a run that has not ended/));
  });
});
