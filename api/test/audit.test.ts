// The audit log in workerd: every security-relevant change leaves exactly one entry, with the actor
// that made it (a person, an API key, a Telegram user, the platform), and a refused or no-op change
// leaves none; owners and admins read and export it, members and other teams never see it; no entry
// holds a secret, a prompt or a reply.
import { env, SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { AuditAction, AuditEntry } from "@autoclaw/shared";
import { pruneAuditLog } from "../src/domain/audit";
import { restartRuntime, startRuntime, stopIdleRuntimes, stopRuntime } from "../src/domain/runtime";
import { IDLE_STOP_MS } from "../src/drivers/driver";
import { update, type Person } from "../../fakes/telegram";
import {
  agentOnFakeModel,
  type Api,
  authPost,
  BYOK_KEY,
  client,
  expectTrpcError,
  joinTeam,
  ORIGIN,
  sandboxRuntime,
  signUp,
  signUpWithTeam,
  unique,
  waitForRun,
} from "./helpers";

const FROM = { "cf-connecting-ip": "203.0.113.7", "user-agent": "AuditTest/1.0 (a browser)" };
/** Requests as they arrive through Cloudflare from a browser: with a client address and a user agent. */
const fromBrowser = (req: Request) => {
  const headers = new Headers(req.headers);
  for (const [k, v] of Object.entries(FROM)) headers.set(k, v);
  return SELF.fetch(new Request(req, { headers }));
};

async function allEntries(api: Api): Promise<AuditEntry[]> {
  const out: AuditEntry[] = [];
  let cursor: string | undefined;
  do {
    const page = await api.audit.list.query({ cursor, limit: 7 }); // small pages: the cursor is exercised
    out.push(...page.items);
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return out;
}
const count = (es: AuditEntry[], action: AuditAction) => es.filter((e) => e.action === action).length;
const only = (es: AuditEntry[], action: AuditAction) => {
  const found = es.filter((e) => e.action === action);
  expect(found, `${action} recorded once`).toHaveLength(1);
  return found[0]!;
};

describe("the audit log", () => {
  it("records each change a person makes once, by them, with their address and browser; refused and no-op changes leave nothing", async () => {
    const owner = await signUp("audit-owner");
    const created = await client({ cookie: owner.cookie }, { send: fromBrowser }).tenants.create.mutate({ name: "Audited" });
    const api = client({ cookie: owner.cookie, tenantId: created.id }, { send: fromBrowser });

    const key = await api.apiKeys.create.mutate({ name: "CI", scopes: ["read"] });
    await api.apiKeys.revoke.mutate({ id: key.id });
    await expectTrpcError(api.apiKeys.revoke.mutate({ id: key.id }), "NOT_FOUND"); // already revoked: no second entry
    await api.providerKeys.set.mutate({ provider: "openai", apiKey: "sk-audit-secret-0000111122223333" });
    await api.providerKeys.remove.mutate({ provider: "openai" });
    const agent = await agentOnFakeModel(api);
    await api.agents.remove.mutate({ id: agent.id });
    const inv = await api.tenants.invite.mutate({ email: `${unique("nobody")}@example.com` });
    await api.tenants.revokeInvitation.mutate({ id: inv.id });
    const member = await signUp("audit-member");
    await joinTeam(api, member);
    const memberId = (await api.tenants.current.query()).members.find((m) => m.email === member.email)!.userId;
    await api.tenants.setRole.mutate({ userId: memberId, role: "admin" });
    await api.tenants.removeMember.mutate({ userId: memberId });
    await api.usage.setBudget.mutate({ monthlyTokens: 1_000_000 });
    await api.usage.setPrice.mutate({ model: "custom/echo", inputPerMTok: 1, outputPerMTok: 2 });
    await api.usage.removePrice.mutate({ model: "custom/echo" });
    await api.conversations.setVisibility.mutate({ visibility: "team" });
    await api.conversations.setVisibility.mutate({ visibility: "team" }); // no change: no entry
    await api.telegram.setDefaultAgent.mutate({ agentId: null });
    await api.skills.updatePolicy.mutate({ policies: [{ name: "weather", enabled: false }] });

    const es = await allEntries(api);
    const mine = es.filter((e) => e.action !== "member.joined");
    for (const e of mine) {
      expect(e.actor, e.action).toEqual({ kind: "user", id: expect.any(String), label: owner.email });
      expect([e.ip, e.userAgent], e.action).toEqual([FROM["cf-connecting-ip"], FROM["user-agent"]]);
    }
    expect(new Set(mine.map((e) => e.actor.id)).size).toBe(1);

    expect(only(es, "team.created").target).toEqual({ kind: "team", id: created.id, label: "Audited" });
    expect(only(es, "api_key.created").target?.label).toBe(`CI (${key.prefix}…)`);
    expect(only(es, "api_key.revoked").target).toEqual({ kind: "apiKey", id: key.id, label: `CI (${key.prefix}…)` });
    const keySets = es.filter((e) => e.action === "model_key.set");
    expect(keySets.map((e) => e.target?.id)).toEqual(["custom", "openai"]); // the fake model's key, then OpenAI's
    expect(keySets[1]!.metadata).toEqual({ last4: "3333" });
    expect(only(es, "model_key.removed").target?.id).toBe("openai");
    expect(only(es, "agent.created").target?.label).toBe(agent.name);
    expect(only(es, "agent.deleted").target?.id).toBe(agent.id);
    expect(count(es, "member.invited")).toBe(2); // the revoked one and the member's
    expect(only(es, "member.invitation_revoked").target?.label).toBe(inv.email);
    const joined = only(es, "member.joined");
    expect(joined.actor).toMatchObject({ kind: "user", id: memberId, label: member.email });
    expect(only(es, "member.role_changed")).toMatchObject({
      target: { id: memberId, label: member.email },
      metadata: { from: "member", to: "admin" },
    });
    expect(only(es, "member.removed").target?.label).toBe(member.email);
    expect(only(es, "budget.changed").metadata).toEqual({ monthlyTokens: 1_000_000 });
    only(es, "price.set");
    only(es, "price.removed");
    expect(only(es, "team.settings_changed").metadata).toEqual({ setting: "conversationVisibility", to: "team" });
    only(es, "telegram.default_agent_set");
    expect(only(es, "skills.policy_changed").metadata.changes).toBe("weather: enabled=false");

    // Newest first, and the filters narrow it.
    expect(es.map((e) => e.at)).toEqual([...es.map((e) => e.at)].sort().reverse());
    const byAction = await api.audit.list.query({ action: "member.invited" });
    expect(byAction.items.map((e) => e.action)).toEqual(["member.invited", "member.invited"]);
    const byMember = await api.audit.list.query({ actorId: memberId });
    expect(byMember.items.map((e) => e.action)).toEqual(["member.joined"]);
    const future = await api.audit.list.query({ from: new Date(Date.now() + 60_000).toISOString() });
    expect(future.items).toEqual([]);
  });

  it("names an API key by its prefix, a Telegram user by their handle, and the platform as itself", async () => {
    const { api, team } = await signUpWithTeam("audit-actors");
    const key = await api.apiKeys.create.mutate({ name: "Integrator", scopes: ["agents", "read"] });
    const asKey = client({ apiKey: key.key });
    const agent = await agentOnFakeModel(api);
    const made = await asKey.agents.create.mutate({ templateId: "personal-assistant", name: "By key" });
    await asKey.agents.remove.mutate({ id: made.id });

    // A Telegram user pairs, then unpairs themselves.
    const person: Person = { id: 8_800_000 + Math.floor(Math.random() * 100_000), firstName: "Tess", username: "tess_tg" };
    const tg = (text: string) =>
      SELF.fetch(`${ORIGIN}/api/webhooks/telegram`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-telegram-bot-api-secret-token": env.TELEGRAM_WEBHOOK_SECRET },
        body: JSON.stringify(update(person, text)),
      });
    const { code } = await api.telegram.createPairingCode.mutate();
    expect((await tg(`/start ${code}`)).status).toBe(200);
    await expect.poll(async () => (await api.telegram.pairings.query()).length).toBe(1);
    expect((await tg("/unpair")).status).toBe(200);
    await expect.poll(async () => (await api.telegram.pairings.query()).length).toBe(0);

    // The runtime: started and restarted by a person, stopped by the platform when idle.
    const { rt } = sandboxRuntime();
    const owner = (await api.audit.list.query({ action: "team.created" })).items[0]!.actor;
    const by = { actor: owner, client: { ip: null, userAgent: null } };
    await startRuntime(rt, team.id, by);
    await startRuntime(rt, team.id, by); // already running: nothing started, nothing recorded
    await restartRuntime(rt, team.id, by);
    await stopIdleRuntimes(rt, new Date(Date.now() + IDLE_STOP_MS + 60_000));
    await stopRuntime(rt, team.id, { by, action: "runtime.stopped" });

    const es = await allEntries(api);
    const keyMade = es.find((e) => e.action === "agent.created" && e.target?.id === made.id)!;
    expect(keyMade.actor).toEqual({ kind: "apiKey", id: key.id, label: `${key.prefix}…` });
    expect(es.find((e) => e.action === "agent.deleted")!.actor.kind).toBe("apiKey");
    expect(es.find((e) => e.action === "agent.created" && e.target?.id === agent.id)!.actor.kind).toBe("user");

    const paired = only(es, "telegram.paired");
    expect(paired.actor).toEqual({ kind: "telegram", id: String(person.id), label: "@tess_tg" });
    expect(only(es, "telegram.unpaired")).toMatchObject({
      actor: { kind: "telegram", id: String(person.id) },
      target: { label: "@tess_tg" },
    });

    expect(only(es, "runtime.started").actor).toEqual(owner);
    expect(only(es, "runtime.restarted").actor).toEqual(owner);
    const stops = es.filter((e) => e.action === "runtime.stopped");
    expect(stops.map((e) => [e.actor.kind, e.metadata.reason ?? null])).toEqual([
      ["user", null],
      ["platform", "idle"],
    ]);
  });

  it("records sign-ins, good and failed, in each team of the account, with the client's address", async () => {
    const { user, api } = await signUpWithTeam("audit-signin");
    const ip = { "cf-connecting-ip": "198.51.100.77", "user-agent": "SignInTest/2" };
    expect((await authPost("/sign-in/email", { email: user.email, password: "not the password at all" }, ip)).status).toBe(401);
    expect((await authPost("/sign-in/email", { email: user.email, password: user.password }, ip)).status).toBe(200);
    const es = await allEntries(api);
    expect(only(es, "auth.sign_in_failed")).toMatchObject({
      actor: { kind: "user", label: user.email },
      ip: "198.51.100.77",
      userAgent: "SignInTest/2",
      metadata: { reason: "wrong email or password" },
    });
    expect(only(es, "auth.signed_in").ip).toBe("198.51.100.77");
    // The password tried is nowhere.
    expect(JSON.stringify(es)).not.toContain("not the password");
  });

  it("holds no secret, prompt or reply", async () => {
    const { api } = await signUpWithTeam("audit-secrets");
    const agent = await agentOnFakeModel(api);
    const key = await api.apiKeys.create.mutate({ name: "Scan", scopes: ["read", "runs"] });
    const run = await api.runs.create.mutate({ agentId: agent.id, input: "PROMPT-a7f3 please echo this" });
    await waitForRun(api, run.id);
    await api.providerKeys.set.mutate({ provider: "anthropic", apiKey: "sk-ant-SECRET-9f8e7d6c5b4a" });
    // The inventory a runtime would have reported: trello asks for its token.
    const trello = {
      name: "trello",
      description: "Trello boards",
      emoji: null,
      source: "bundled",
      eligible: false,
      missing: { bins: [], anyBins: [], env: ["TRELLO_TOKEN"], config: [], os: [] },
      primaryEnv: null,
      homepage: null,
      agents: [],
    };
    await env.DB.prepare("insert into skill_inventories (tenant_id, skills, inventory_at) values (?, ?, ?)")
      .bind((await api.tenants.current.query()).id, JSON.stringify([trello]), Date.now())
      .run();
    await api.skills.configure.mutate({ name: "trello", env: { TRELLO_TOKEN: "trello-SECRET-5544" } });
    await api.skills.updateAgent.mutate({ agentId: agent.id, skills: [{ name: "weather", include: false }] });
    await api.skills.applyPack.mutate({ pack: "research" });
    const es = await allEntries(api);
    expect(only(es, "skills.configured")).toMatchObject({ target: { id: "trello" }, metadata: { set: "TRELLO_TOKEN", removed: "" } });
    expect(only(es, "skills.agent_changed")).toMatchObject({ target: { id: agent.id }, metadata: { changes: "weather: removed" } });
    expect(only(es, "skills.pack_applied").target?.id).toBe("research");
    expect(es.length).toBeGreaterThan(3);
    const raw = JSON.stringify(
      await env.DB.prepare("select * from audit_log where tenant_id = (select tenant_id from api_keys where id = ?)").bind(key.id).all(),
    );
    for (const secret of [BYOK_KEY, key.key, "sk-ant-SECRET-9f8e7d6c5b4a", "trello-SECRET-5544", "PROMPT-a7f3", "echo this"])
      expect(raw, secret).not.toContain(secret);
  });

  it("is for owners and admins: a member and an API key are refused, another team's entries never appear", async () => {
    const a = await signUpWithTeam("audit-a");
    const b = await signUpWithTeam("audit-b");
    await b.api.apiKeys.create.mutate({ name: "B's key", scopes: ["read"] });
    const member = await signUp("audit-plain");
    await joinTeam(a.api, member);
    const asMember = client({ cookie: member.cookie, tenantId: a.team.id });
    await expectTrpcError(asMember.audit.list.query({}), "FORBIDDEN");
    await expectTrpcError(asMember.audit.export.mutate({ format: "csv" }), "FORBIDDEN");
    const key = await a.api.apiKeys.create.mutate({ name: "Reader", scopes: ["read", "runs", "agents"] });
    await expectTrpcError(client({ apiKey: key.key }).audit.list.query({}), "FORBIDDEN");
    // A's owner naming B's team is not a member there.
    await expectTrpcError(client({ cookie: a.user.cookie, tenantId: b.team.id }).audit.list.query({}), "NOT_FOUND");
    const es = await allEntries(a.api);
    expect(es.some((e) => e.target?.label?.includes("B's key") || e.target?.id === b.team.id)).toBe(false);
    expect(es.every((e) => e.action !== "team.created" || e.target?.id === a.team.id)).toBe(true);
  });

  it("rejects bad filters and cursors with BAD_REQUEST", async () => {
    const { api } = await signUpWithTeam("audit-bad");
    await expectTrpcError(api.audit.list.query({ cursor: "not-a-cursor" }), "BAD_REQUEST");
    await expectTrpcError(api.audit.list.query({ action: "made.up" as never }), "BAD_REQUEST");
    await expectTrpcError(api.audit.list.query({ from: "2026-12-02T00:00:00.000Z", to: "2026-12-01T00:00:00.000Z" }), "BAD_REQUEST");
  });

  it("exports through a signed link, as CSV or JSON Lines, and records the export itself", async () => {
    const { api, user, team } = await signUpWithTeam("audit-export");
    await api.apiKeys.create.mutate({ name: '=HYPERLINK("http://evil")', scopes: ["read"] });
    const csv = await api.audit.export.mutate({ format: "csv" });
    expect(csv.url).toMatch(/^\/api\/audit\/export\?grant=/);
    const res = await SELF.fetch(`${ORIGIN}${csv.url}`, { headers: { "cf-connecting-ip": "192.0.2.9" } });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/csv");
    const text = await res.text();
    const lines = text.trim().split("\n");
    expect(lines[0]).toBe("at,action,actor_kind,actor_id,actor,target_kind,target_id,target,ip,user_agent,metadata");
    expect(text).toContain("audit.exported"); // the file includes its own export
    expect(text).toContain("api_key.created");
    expect(text).not.toMatch(/,=HYPERLINK/); // a formula is escaped, not run by the spreadsheet
    const exported = (await api.audit.list.query({ action: "audit.exported" })).items;
    expect(exported).toHaveLength(1);
    expect(exported[0]).toMatchObject({ actor: { kind: "user", label: user.email }, ip: "192.0.2.9", metadata: { format: "csv" } });

    const jsonl = await api.audit.export.mutate({ format: "jsonl", from: new Date(Date.now() - 3_600_000).toISOString() });
    const rows = (await (await SELF.fetch(`${ORIGIN}${jsonl.url}`)).text())
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as AuditEntry);
    expect(rows.map((r) => r.action)).toContain("team.created");
    expect(rows.every((r) => r.id.startsWith("aud_"))).toBe(true);

    // A tampered or foreign grant is refused, and records nothing.
    const grant = new URL(csv.url, ORIGIN).searchParams.get("grant")!;
    const forged = Buffer.from(grant, "base64url").toString().replace(team.id, "tn_someone_else");
    const bad = await SELF.fetch(
      `${ORIGIN}/api/audit/export?grant=${Buffer.from(forged).toString("base64url")}&sig=${new URL(csv.url, ORIGIN).searchParams.get("sig")}`,
    );
    expect(bad.status).toBe(403);
    expect((await SELF.fetch(`${ORIGIN}/api/audit/export?grant=x&sig=y`)).status).toBe(403);
    expect((await api.audit.list.query({ action: "audit.exported" })).items).toHaveLength(2);
  });

  it("keeps entries for 365 days: the reaper's sweep drops only older ones", async () => {
    const { api, team } = await signUpWithTeam("audit-retention");
    const old = Date.now() - 366 * 86_400_000;
    await env.DB.prepare(
      "insert into audit_log (id, tenant_id, at, actor_kind, actor_id, actor_label, action, metadata) values (?, ?, ?, 'platform', 'platform', 'AutoClaw', 'budget.changed', '{}')",
    )
      .bind("aud_00000000000000000001", team.id, old)
      .run();
    expect((await allEntries(api)).map((e) => e.action)).toEqual(["team.created", "budget.changed"]);
    const { createDb } = await import("../src/db/client");
    await pruneAuditLog(createDb(env.DB));
    expect((await allEntries(api)).map((e) => e.action)).toEqual(["team.created"]);
  });
});
