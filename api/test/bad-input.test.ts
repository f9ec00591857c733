import { SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { ORIGIN, rawCall, signUpWithTeam } from "./helpers";

// Every procedure with input, fed input a client could send: BAD_REQUEST with the zod issues, no 500.
const cases: [path: string, input: unknown, expectedPath: string][] = [
  ["tenants.create", { name: "" }, "name"],
  ["tenants.create", { name: "x".repeat(81) }, "name"],
  ["tenants.create", { nom: "typo" }, "name"],
  ["tenants.addMember", { email: "not-an-email" }, "email"],
  ["tenants.addMember", { email: "a@b.co", role: "owner" }, "role"],
  ["tenants.removeMember", { userId: 42 }, "userId"],
  ["apiKeys.create", { name: "   " }, "name"],
  ["apiKeys.create", {}, "name"],
  ["apiKeys.revoke", { id: "" }, "id"],
  ["apiKeys.revoke", null, ""],
];

describe("bad input", () => {
  it.each(cases)("%s with %j → BAD_REQUEST naming %s", async (path, input, expectedPath) => {
    const { user, team } = await signUpWithTeam("badinput");
    const { status, body } = await rawCall(path, input, { cookie: user.cookie, tenantId: team.id });
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
    await rawCall("apiKeys.create", { name: "" }, { cookie: user.cookie, tenantId: team.id });
    expect(await api.apiKeys.list.query()).toEqual([]);
  });
});
