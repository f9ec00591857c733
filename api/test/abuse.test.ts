// Abuse and resource limits: what one account or one request can make the platform do. Each finding
// of the review is its own test; each failed on the code before its fix.
import { SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { TRPC_MAX_BATCH } from "@autoclaw/shared";
import { client, expectTrpcError, headersFor, ORIGIN, signUp, signUpWithTeam } from "./helpers";

describe("teams per account", () => {
  it("one account owns at most 3 teams (MAX_TEAMS_PER_ACCOUNT), and calls at once cannot slip past it", async () => {
    const u = await signUp("team-hoarder");
    const api = client({ cookie: u.cookie }, { batch: false });
    const attempts = await Promise.allSettled(Array.from({ length: 8 }, (_, i) => api.tenants.create.mutate({ name: `Team ${i}` })));
    expect(attempts.filter((a) => a.status === "fulfilled")).toHaveLength(3);
    expect(await api.tenants.list.query()).toHaveLength(3);
    const refused = await expectTrpcError(api.tenants.create.mutate({ name: "One more" }), "FORBIDDEN");
    expect(refused.message).toBe(
      "An account can own at most 3 teams: hand one to another owner and leave it, or ask a team's admin to invite you to theirs",
    );
  });
});

describe("tRPC batches", () => {
  it(`a batch of more than ${TRPC_MAX_BATCH} calls is refused as a whole (400), and none of them runs`, async () => {
    const { user, api } = await signUpWithTeam("batcher");
    const n = TRPC_MAX_BATCH + 1;
    const paths = Array.from({ length: n }, () => "apiKeys.create").join(",");
    const body = Object.fromEntries(Array.from({ length: n }, (_, i) => [String(i), { name: `k${i}` }]));
    const res = await SELF.fetch(`${ORIGIN}/trpc/${paths}?batch=1`, {
      method: "POST",
      headers: { ...headersFor({ cookie: user.cookie }), "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    expect(res.status).toBe(400);
    expect(await api.apiKeys.list.query()).toEqual([]);
  });
});

describe("changes made with a session cookie", () => {
  const createTeam = (cookie: string, headers: Record<string, string>) =>
    SELF.fetch(`${ORIGIN}/trpc/tenants.create`, {
      method: "POST",
      headers: { cookie, ...headers },
      body: JSON.stringify({ name: "Forged" }),
    });

  it("are refused from another origin, without an Origin, or as a form post; nothing changes", async () => {
    const u = await signUp("csrf-victim");
    const mine = client({ cookie: u.cookie });
    const forged: Record<string, string>[] = [
      { origin: "http://evil.example", "content-type": "application/json" },
      { "content-type": "application/json" },
      { origin: ORIGIN, "content-type": "text/plain" },
      { origin: ORIGIN, "content-type": "application/x-www-form-urlencoded" },
    ];
    for (const headers of forged) {
      const res = await createTeam(u.cookie, headers);
      expect(res.status, JSON.stringify(headers)).toBe(403);
    }
    expect(await mine.tenants.list.query()).toEqual([]);
    // From AutoClaw's own pages, as JSON: it works.
    expect((await createTeam(u.cookie, { origin: ORIGIN, "content-type": "application/json" })).status).toBe(200);
    expect(await mine.tenants.list.query()).toHaveLength(1);
  });

  it("does not apply to API keys, which no browser sends on its own", async () => {
    const { api } = await signUpWithTeam("csrf-key");
    const { key } = await api.apiKeys.create.mutate({ name: "server" });
    // No Origin, as a server would call: the call goes through to the procedure (which finds no such agent).
    const res = await SELF.fetch(`${ORIGIN}/trpc/runs.create`, {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body: JSON.stringify({ agentId: "ag_not_there", input: "hello" }),
    });
    expect(res.status).toBe(404);
  });
});
