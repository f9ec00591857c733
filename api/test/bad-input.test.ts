import { SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { ORIGIN, rawCall, signUpWithTeam } from "./helpers";

// Every procedure with input, fed input a client could send: BAD_REQUEST with the zod issues, no 500.
const cases: [path: string, input: unknown, expectedPath: string][] = [
  ["tenants.create", { name: "" }, "name"],
  ["tenants.create", { name: "x".repeat(81) }, "name"],
  ["tenants.create", { nom: "typo" }, "name"],
  ["tenants.invite", { email: "not-an-email" }, "email"],
  ["tenants.invite", { email: "a@b.co", role: "owner" }, "role"],
  ["tenants.invite", { email: `${"a".repeat(250)}@b.co` }, "email"],
  ["tenants.revokeInvitation", { id: "" }, "id"],
  ["tenants.setRole", { userId: "u_1", role: "boss" }, "role"],
  ["invitations.accept", {}, "id"],
  ["invitations.decline", { id: 7 }, "id"],
  ["tenants.removeMember", { userId: 42 }, "userId"],
  ["apiKeys.create", { name: "   " }, "name"],
  ["apiKeys.create", {}, "name"],
  ["apiKeys.revoke", { id: "" }, "id"],
  ["apiKeys.revoke", null, ""],
  ["providerKeys.set", { provider: "mistral", apiKey: "sk-1234567890" }, "provider"],
  ["providerKeys.set", { provider: "openai", apiKey: "short" }, "apiKey"],
  ["providerKeys.set", { provider: "custom", apiKey: "sk-1234567890" }, "baseUrl"],
  ["providerKeys.set", { provider: "openai", apiKey: "sk-1234567890", baseUrl: "https://x.example" }, "baseUrl"],
  ["providerKeys.set", { provider: "custom", apiKey: "sk-1234567890", baseUrl: "not a url" }, "baseUrl"],
  ["providerKeys.remove", { provider: "" }, "provider"],
  ["agents.create", { templateId: "personal-assistant", name: "" }, "name"],
  ["agents.create", { templateId: "personal-assistant", name: "x", model: "gpt-4" }, "model"],
  ["agents.create", { name: "x" }, "templateId"],
  ["agents.update", { id: "ag_1" }, ""],
  ["agents.update", { id: "ag_1", model: "nope/x y" }, "model"],
  ["agents.remove", {}, "id"],
  ["runs.create", { agentId: "ag_1", input: "   " }, "input"],
  ["runs.create", { agentId: "ag_1", input: "x".repeat(32_001) }, "input"],
  ["runs.create", { agentId: "ag_1", input: "hi", idempotencyKey: "k".repeat(129) }, "idempotencyKey"],
  ["runs.create", { input: "hi" }, "agentId"],
  ["runs.cancel", { id: 7 }, "id"],
  ["runs.list", { limit: 0 }, "limit"],
  ["runs.list", { status: "done" }, "status"],
  ["runs.get", {}, "id"],
];
const QUERIES = new Set(["runs.list", "runs.get", "agents.get"]);

describe("bad input", () => {
  it.each(cases)("%s with %j → BAD_REQUEST naming %s", async (path, input, expectedPath) => {
    const { user, team } = await signUpWithTeam("badinput");
    const { status, body } = await rawCall(
      path,
      input,
      { cookie: user.cookie, tenantId: team.id },
      QUERIES.has(path) ? "query" : "mutation",
    );
    expect(status).toBe(400);
    expect(body.error.data.code).toBe("BAD_REQUEST");
    expect(body.error.data.issues.length).toBeGreaterThan(0);
    expect(body.error.data.issues.map((i: { path: unknown[] }) => i.path.join("."))).toContain(expectedPath);
    expect(JSON.stringify(body)).not.toMatch(/stack|\.ts:\d+/);
  });

  it("malformed JSON, unknown procedures and wrong methods are 4xx, never 500", async () => {
    const { user, team } = await signUpWithTeam("garbage");
    const c = { cookie: user.cookie, tenantId: team.id };
    expect((await rawCall("apiKeys.create", "{not json", c)).status).toBe(400);
    expect((await rawCall("nope.nothing", {}, c)).status).toBe(404);
    expect((await rawCall("apiKeys.list", {}, c, "mutation")).status).toBe(405);
    const weird = await SELF.fetch(`${ORIGIN}/trpc/tenants.list?input=%7B%7B`, { headers: { cookie: user.cookie } });
    expect(weird.status).toBeLessThan(500);
  });

  it("writes nothing when input is bad", async () => {
    const { api, user, team } = await signUpWithTeam("nothing");
    const c = { cookie: user.cookie, tenantId: team.id };
    await rawCall("apiKeys.create", { name: "" }, c);
    await rawCall("providerKeys.set", { provider: "custom", apiKey: "sk-1234567890" }, c);
    await rawCall("agents.create", { templateId: "personal-assistant", name: "" }, c);
    await rawCall("agents.create", { templateId: "no-such-template", name: "x" }, c);
    expect(await api.apiKeys.list.query()).toEqual([]);
    expect(await api.providerKeys.list.query()).toEqual([]);
    expect(await api.agents.list.query()).toEqual([]);
    expect((await api.runs.list.query()).items).toEqual([]);
  });
});
