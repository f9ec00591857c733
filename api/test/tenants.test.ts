import { describe, expect, it } from "vitest";
import { client, expectTrpcError, signUp, signUpWithTeam } from "./helpers";

describe("teams (tenants)", () => {
  it("creates a team whose creator is its owner, and lists it", async () => {
    const u = await signUp("founder");
    const api = client({ cookie: u.cookie });
    expect(await api.tenants.list.query()).toEqual([]);
    const team = await api.tenants.create.mutate({ name: "  Acme Robotics  " });
    expect(team).toEqual({ id: expect.stringMatching(/^tn_/), name: "Acme Robotics" });
    expect(await api.tenants.list.query()).toEqual([{ ...team, role: "owner" }]);

    const current = await api.tenants.current.query();
    expect(current.members).toEqual([expect.objectContaining({ email: u.email, role: "owner" })]);
  });

  it("needs x-tenant-id once a user has several teams, and honours it", async () => {
    const u = await signUp("multi");
    const api = client({ cookie: u.cookie });
    const a = await api.tenants.create.mutate({ name: "Alpha" });
    const b = await api.tenants.create.mutate({ name: "Beta" });
    await expectTrpcError(api.tenants.current.query(), "BAD_REQUEST");
    expect((await client({ cookie: u.cookie, tenantId: a.id }).tenants.current.query()).name).toBe("Alpha");
    expect((await client({ cookie: u.cookie, tenantId: b.id }).tenants.current.query()).name).toBe("Beta");
  });

  it("answers NOT_FOUND for a team the caller is not a member of", async () => {
    const { team } = await signUpWithTeam("victim");
    const intruder = await signUp("intruder");
    await client({ cookie: intruder.cookie }).tenants.create.mutate({ name: "Own" });
    const asIntruder = client({ cookie: intruder.cookie, tenantId: team.id });
    await expectTrpcError(asIntruder.tenants.current.query(), "NOT_FOUND");
    await expectTrpcError(asIntruder.apiKeys.list.query(), "NOT_FOUND");
    await expectTrpcError(asIntruder.apiKeys.create.mutate({ name: "steal" }), "NOT_FOUND");
  });

  it("will not remove the owner", async () => {
    const { api } = await signUpWithTeam("solo");
    const owner = (await api.tenants.current.query()).members[0]!;
    await expectTrpcError(api.tenants.removeMember.mutate({ userId: owner.userId }), "FORBIDDEN");
  });

  it("refuses anonymous callers", async () => {
    await expectTrpcError(client().tenants.list.query(), "UNAUTHORIZED");
    await expectTrpcError(client().tenants.create.mutate({ name: "x" }), "UNAUTHORIZED");
  });
});
