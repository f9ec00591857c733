// The model proxy tenant runtimes call (`/api/model/v1`), inside workerd.
import { env, SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { sha256 } from "../src/domain/crypto";
import { BYOK_KEY, fakeRequests, runtimeWithToken, unique } from "./helpers";

const call = (token: string, body: object, signal?: AbortSignal) =>
  SELF.fetch("http://127.0.0.1/api/model/v1/chat/completions", {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify(body),
    ...(signal && { signal }),
  });

describe("model proxy", () => {
  it("answers a runtime that presents its current token with the team's model, and refuses any other token", async () => {
    const { token } = await runtimeWithToken("proxy-ok");
    const marker = unique("through the proxy");
    const res = await call(token, { model: "custom/echo", messages: [{ role: "user", content: marker }] });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { choices: { message: { content: string } }[] }).choices[0]!.message.content).toBe(`Echo: ${marker}`);
    // A runtime token that is not current is refused without the words OpenClaw would take for an auth failure.
    const stale = await call(`${token}x`, { model: "custom/echo", messages: [] });
    expect(stale.status).toBe(400);
    expect(await stale.text()).toContain("autoclaw_runtime_token_refused");
    expect((await call("not-a-runtime-token", { model: "custom/echo", messages: [] })).status).toBe(401);
  });

  it("never passes an upstream refusal on as a 401/402/429 (OpenClaw would cool its provider down) nor its text; records why, for the agent's run", async () => {
    const { token } = await runtimeWithToken("proxy-refusals");
    const teamId = (await env.DB.prepare("select tenant_id from tenant_openclaw_runtime where model_token_hash = ?")
      .bind(await sha256(token))
      .first<{ tenant_id: string }>())!.tenant_id;
    const ask = (model: string) =>
      SELF.fetch("http://127.0.0.1/api/model/v1/chat/completions", {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json", "x-autoclaw-agent": "ag_refused" },
        body: JSON.stringify({ model, messages: [{ role: "user", content: "x" }] }),
      });
    const refused = await ask("custom/fail-400");
    expect(refused.status).toBe(400);
    const refusedText = await refused.text();
    expect(refusedText).toContain("autoclaw_upstream_refused");
    expect(refusedText).not.toMatch(/api key|sk-test|unauthori|authenticat/i);
    const failed = await ask("custom/fail-503");
    expect(failed.status).toBe(502);
    expect(await failed.text()).not.toContain("overloaded");
    const rows = await env.DB.prepare("select agent_id, status, error from model_usage where tenant_id = ? order by id")
      .bind(teamId)
      .all<{ agent_id: string; status: number; error: string }>();
    expect(rows.results.map((r) => [r.agent_id, r.status])).toEqual([
      ["ag_refused", 400],
      ["ag_refused", 503],
    ]);
    // The reason is kept for the run, with the key redacted.
    expect(rows.results[0]!.error).toMatch(/^Incorrect API key provided/);
    expect(rows.results[0]!.error).not.toContain(BYOK_KEY);
    expect(rows.results[1]!.error).toBe("The model is overloaded. Please try again later.");
  });

  it("a runtime that hangs up (its turn was stopped) stops the model call upstream too", async () => {
    const { token } = await runtimeWithToken("proxy-hangup");
    const marker = unique("hang up");
    const t0 = Date.now();
    await expect(
      call(token, { model: "custom/slow-3000", messages: [{ role: "user", content: marker }] }, AbortSignal.timeout(300)),
    ).rejects.toThrow();
    // The upstream connection closed when the caller's did, not when the model would have answered.
    for (const deadline = Date.now() + 5000; !(await fakeRequests(marker))[0]?.abortedAt && Date.now() < deadline; )
      await new Promise((r) => setTimeout(r, 100));
    const [upstream] = await fakeRequests(marker);
    expect(upstream!.abortedAt).not.toBeNull();
    expect(upstream!.abortedAt! - t0).toBeLessThan(2500);
  });

  it("a stream the runtime hangs up on is stopped upstream and still metered, counted from what it had written", async () => {
    const { token, team } = await runtimeWithToken("proxy-stream-hangup");
    const marker = unique("cut short");
    const res = await SELF.fetch("http://127.0.0.1/api/model/v1/chat/completions", {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json", "x-autoclaw-agent": "ag_cut" },
      body: JSON.stringify({
        model: "custom/drip-150",
        stream: true,
        messages: [{ role: "user", content: `${marker} ${"word ".repeat(30)}` }],
      }),
    });
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let seen = "";
    // A few words of the reply (one every 150 ms), then the runtime hangs up.
    while ((seen.match(/"content":"[^"]+"/g) ?? []).length < 3) seen += decoder.decode((await reader.read()).value);
    await reader.cancel();
    type Row = { status: number; estimated: number; output_tokens: number; error: string };
    let row: Row | null = null;
    for (let i = 0; i < 50 && !row; i++, await new Promise((r) => setTimeout(r, 100)))
      row = await env.DB.prepare(
        "select status, estimated, output_tokens, error from model_usage where tenant_id = ? and agent_id = 'ag_cut'",
      )
        .bind(team.id)
        .first<Row>();
    expect(row).toMatchObject({ status: 499, estimated: 1, error: "The caller hung up before the answer ended" });
    expect(row!.output_tokens).toBeGreaterThan(0);
    for (const deadline = Date.now() + 5000; !(await fakeRequests(marker))[0]?.abortedAt && Date.now() < deadline; )
      await new Promise((r) => setTimeout(r, 100));
    expect((await fakeRequests(marker))[0]!.abortedAt).not.toBeNull();
  });
});
