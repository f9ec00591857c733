import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { client, expectTrpcError, signUpWithTeam } from "./helpers";

describe("tenant API keys", () => {
  it("shows a new key once, lists it by prefix only, and stores only its hash", async () => {
    const { api } = await signUpWithTeam("keys");
    const created = await api.apiKeys.create.mutate({ name: "CI deploys" });
    expect(created.key).toMatch(/^ak_[A-Za-z0-9_-]{32}$/);
    expect(created.key.startsWith(created.prefix)).toBe(true);

    const listed = await api.apiKeys.list.query();
    expect(listed).toEqual([
      {
        id: created.id,
        name: "CI deploys",
        prefix: created.prefix,
        createdAt: created.createdAt,
        lastUsedAt: null,
        scopes: ["read", "runs"],
      },
    ]);
    expect(JSON.stringify(listed)).not.toContain(created.key);

    const row = await env.DB.prepare("select * from api_keys where id = ?").bind(created.id).first<Record<string, unknown>>();
    expect(Object.values(row!).some((v) => typeof v === "string" && v.includes(created.key.slice(3)))).toBe(false);
  });

  it("lets an integrator call tenant procedures with the key as a Bearer token", async () => {
    const { api, team } = await signUpWithTeam("integrator");
    const { key, id } = await api.apiKeys.create.mutate({ name: "integration" });
    const asKey = client({ apiKey: key });

    expect(await asKey.tenants.list.query()).toEqual([{ id: team.id, name: team.name, role: "admin" }]);
    expect((await asKey.tenants.current.query()).id).toBe(team.id);
    // It reads the team's keys (prefixes only); it cannot make more (access.test.ts).
    expect((await asKey.apiKeys.list.query()).map((k) => k.id)).toEqual([id]);
    // lastUsedAt records use.
    expect((await api.apiKeys.list.query()).find((k) => k.id === id)!.lastUsedAt).not.toBeNull();
    // Keys belong to teams, not people: a key cannot create teams.
    await expectTrpcError(asKey.tenants.create.mutate({ name: "side team" }), "UNAUTHORIZED");
  });

  it("stops working the moment it is revoked", async () => {
    const { api } = await signUpWithTeam("revoker");
    const { key, id } = await api.apiKeys.create.mutate({ name: "temporary" });
    expect(await client({ apiKey: key }).apiKeys.list.query()).toHaveLength(1);

    expect(await api.apiKeys.revoke.mutate({ id })).toEqual([]);
    const err = await expectTrpcError(client({ apiKey: key }).tenants.list.query(), "UNAUTHORIZED");
    expect(err.message).toMatch(/invalid or revoked/i);
    await expectTrpcError(api.apiKeys.revoke.mutate({ id }), "NOT_FOUND");
  });

  it("keeps teams apart: another team's key is NOT_FOUND and a key cannot switch teams", async () => {
    const a = await signUpWithTeam("team-a");
    const b = await signUpWithTeam("team-b");
    const keyA = await a.api.apiKeys.create.mutate({ name: "a" });
    const keyB = await b.api.apiKeys.create.mutate({ name: "b" });

    await expectTrpcError(b.api.apiKeys.revoke.mutate({ id: keyA.id }), "NOT_FOUND");
    // No key revokes keys at all (refused before any lookup, so it says nothing about A's key).
    await expectTrpcError(client({ apiKey: keyB.key }).apiKeys.revoke.mutate({ id: keyA.id }), "FORBIDDEN");
    await expectTrpcError(client({ apiKey: keyB.key, tenantId: a.team.id }).apiKeys.list.query(), "NOT_FOUND");
    expect((await b.api.apiKeys.list.query()).map((k) => k.id)).toEqual([keyB.id]);
    // A's key still works after B's attempts.
    expect(await client({ apiKey: keyA.key }).apiKeys.list.query()).toHaveLength(1);
  });

  it("rejects garbage bearer tokens without falling back to the session", async () => {
    const { user } = await signUpWithTeam("mixed");
    await expectTrpcError(client({ apiKey: "ak_not-a-real-key", cookie: user.cookie }).tenants.list.query(), "UNAUTHORIZED");
    await expectTrpcError(client({ apiKey: "something else" }).tenants.list.query(), "UNAUTHORIZED");
  });
});
