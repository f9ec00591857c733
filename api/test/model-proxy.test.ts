// The model proxy tenant runtimes call (`/api/model/v1`), inside workerd.
import { env, SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { sha256 } from "../src/domain/crypto";
import { agentOnFakeModel, fakeRequests, signUpWithTeam, unique } from "./helpers";

/** A team whose runtime holds this model token (what a start writes to D1). */
async function runtimeWithToken(label: string) {
  const { api, team } = await signUpWithTeam(label);
  await agentOnFakeModel(api);
  const token = `rt_${unique("token").replace(/[^a-z0-9]/gi, "")}`;
  await env.DB.prepare("insert into tenant_openclaw_runtime (tenant_id, state, version, generation, model_token_hash, updated_at) values (?, 'ready', '2026.9.6', 1, ?, ?)")
    .bind(team.id, await sha256(token), Date.now())
    .run();
  return token;
}

const call = (token: string, body: object, signal?: AbortSignal) =>
  SELF.fetch("http://127.0.0.1/api/model/v1/chat/completions", { method: "POST", headers: { authorization: `Bearer ${token}`, "content-type": "application/json" }, body: JSON.stringify(body), ...(signal && { signal }) });

describe("model proxy", () => {
  it("answers a runtime that presents its current token with the team's model, and refuses any other token", async () => {
    const token = await runtimeWithToken("proxy-ok");
    const marker = unique("through the proxy");
    const res = await call(token, { model: "custom/echo", messages: [{ role: "user", content: marker }] });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { choices: { message: { content: string } }[] }).choices[0]!.message.content).toBe(`Echo: ${marker}`);
    expect((await call(`${token}x`, { model: "custom/echo", messages: [] })).status).toBe(401);
  });

  it("a runtime that hangs up (its turn was stopped) stops the model call upstream too", async () => {
    const token = await runtimeWithToken("proxy-hangup");
    const marker = unique("hang up");
    const t0 = Date.now();
    await expect(call(token, { model: "custom/slow-3000", messages: [{ role: "user", content: marker }] }, AbortSignal.timeout(300))).rejects.toThrow();
    // The upstream connection closed when the caller's did, not when the model would have answered.
    for (const deadline = Date.now() + 5000; !(await fakeRequests(marker))[0]?.abortedAt && Date.now() < deadline; ) await new Promise((r) => setTimeout(r, 100));
    const [upstream] = await fakeRequests(marker);
    expect(upstream!.abortedAt).not.toBeNull();
    expect(upstream!.abortedAt! - t0).toBeLessThan(2500);
  });
});
