// Inbound triggers in workerd: the secret checked (401 and nothing runs), the body turned into the
// run's input through the template, the size cap and the rate limit, revocation, and another team's
// triggers out of reach.
import { SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { TRIGGER_BODY_MAX, TRIGGER_RATE_PER_MINUTE } from "@autoclaw/shared";
import { agentOnFakeModel, expectTrpcError, ORIGIN, signUpWithTeam, waitForRun } from "./helpers";

function post(id: string, secret: string | null, body: string, contentType = "application/json", headers: Record<string, string> = {}) {
  return SELF.fetch(`${ORIGIN}/api/triggers/${id}`, {
    method: "POST",
    headers: { "content-type": contentType, ...(secret !== null && { authorization: `Bearer ${secret}` }), ...headers },
    body,
  });
}

async function triggered(label: string, template?: string) {
  const t = await signUpWithTeam(label);
  const agent = await agentOnFakeModel(t.api);
  const trigger = await t.api.triggers.create.mutate({ agentId: agent.id, name: "Support form", template });
  return { ...t, agent, trigger };
}
const triggerRuns = async (api: Awaited<ReturnType<typeof triggered>>["api"]) =>
  (await api.runs.list.query({})).items.filter((r) => r.source === "trigger");

describe("inbound triggers", () => {
  it("a request with the secret answers 202 with the run, its body put through the template", async () => {
    const { api, trigger } = await triggered("trg-run", "Ticket from {{customer.name}}: {{subject}}");
    expect(trigger.secret).toMatch(/^trg_/);
    expect(trigger.url).toMatch(new RegExp(`/api/triggers/${trigger.id}$`));
    const res = await post(
      trigger.id,
      trigger.secret,
      JSON.stringify({ customer: { name: "Ada <ada@x.io>" }, subject: "Printer on fire" }),
    );
    expect(res.status).toBe(202);
    const { runId } = (await res.json()) as { runId: string };
    const run = await waitForRun(api, runId);
    expect(run.status).toBe("succeeded");
    expect(run.input).toBe("Ticket from Ada <ada@x.io>: Printer on fire"); // text, not HTML-escaped
    expect(run.source).toBe("trigger");
    // The list never shows the secret again; it shows when it was last used.
    const [listed] = await api.triggers.list.query({});
    expect(listed).not.toHaveProperty("secret");
    expect(listed!.lastUsedAt).not.toBeNull();
  });

  it("a text body goes in as {{body}} with the default template; an idempotency key makes one run", async () => {
    const { api, trigger } = await triggered("trg-text");
    const once = { "idempotency-key": "form-42" };
    const a = await post(trigger.id, trigger.secret, "Hello from the form", "text/plain", once);
    const b = await post(trigger.id, trigger.secret, "Hello from the form", "text/plain", once);
    const [ra, rb] = (await Promise.all([a.json(), b.json()])) as { runId: string }[];
    expect(ra!.runId).toBe(rb!.runId);
    const run = await waitForRun(api, ra!.runId);
    expect(run.input).toBe("A request came in through the trigger:\n\nHello from the form");
    expect(await triggerRuns(api)).toHaveLength(1);
  });

  it("a missing or wrong secret, an API key, or a revoked trigger is 401 and nothing runs", async () => {
    const { api, trigger } = await triggered("trg-auth");
    const key = await api.apiKeys.create.mutate({ name: "k", scopes: ["runs"] });
    expect((await post(trigger.id, null, "{}")).status).toBe(401);
    expect((await post(trigger.id, `${trigger.secret}x`, "{}")).status).toBe(401);
    expect((await post(trigger.id, key.key, "{}")).status).toBe(401);
    expect((await post("trg_unknown", trigger.secret, "{}")).status).toBe(401);
    await api.triggers.revoke.mutate({ id: trigger.id });
    expect((await post(trigger.id, trigger.secret, "{}")).status).toBe(401);
    expect(await triggerRuns(api)).toHaveLength(0);
    expect(await api.triggers.list.query({})).toEqual([]);
    const audit = (await api.audit.list.query({})).items.map((e) => e.action);
    expect(audit.filter((a) => a.startsWith("trigger."))).toEqual(["trigger.revoked", "trigger.created"]);
  });

  it("caps the body, refuses bad JSON, and rate-limits each trigger with Retry-After", async () => {
    const { api, trigger } = await triggered("trg-limits");
    expect((await post(trigger.id, trigger.secret, "x".repeat(TRIGGER_BODY_MAX + 1), "text/plain")).status).toBe(413);
    expect((await post(trigger.id, trigger.secret, "{not json")).status).toBe(400);
    expect((await SELF.fetch(`${ORIGIN}/api/triggers/${trigger.id}`)).status).toBe(405);
    expect(await triggerRuns(api)).toHaveLength(0);

    // A fresh trigger: the first TRIGGER_RATE_PER_MINUTE requests of a minute run, the rest are 429.
    const busy = await api.triggers.create.mutate({ agentId: trigger.agentId, name: "Busy" });
    // The limit is per clock minute: start the burst well inside one.
    if (Date.now() % 60_000 > 45_000) await new Promise((r) => setTimeout(r, 60_500 - (Date.now() % 60_000)));
    const answers = await Promise.all(
      Array.from({ length: TRIGGER_RATE_PER_MINUTE + 5 }, (_, i) => post(busy.id, busy.secret, `{"n": ${i}}`)),
    );
    const statuses = answers.map((r) => r.status);
    expect(statuses.filter((s) => s === 202)).toHaveLength(TRIGGER_RATE_PER_MINUTE);
    expect(statuses.filter((s) => s === 429)).toHaveLength(5);
    const limited = answers.find((r) => r.status === 429)!;
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
  }, 30_000);

  it("bad input to triggers.create is BAD_REQUEST; another team cannot list or revoke; removing the agent revokes", async () => {
    const a = await triggered("trg-iso");
    const b = await signUpWithTeam("trg-other");
    await expectTrpcError(a.api.triggers.create.mutate({ agentId: a.agent.id, name: "" }), "BAD_REQUEST");
    await expectTrpcError(a.api.triggers.create.mutate({ agentId: a.agent.id, name: "t", template: "{{#open}}" }), "BAD_REQUEST");
    await expectTrpcError(a.api.triggers.create.mutate({ agentId: "ag_nope", name: "t" }), "NOT_FOUND");
    expect(await b.api.triggers.list.query({})).toEqual([]);
    await expectTrpcError(b.api.triggers.revoke.mutate({ id: a.trigger.id }), "NOT_FOUND");
    await a.api.agents.remove.mutate({ id: a.agent.id });
    expect((await post(a.trigger.id, a.trigger.secret, "{}")).status).toBe(401);
  });
});
