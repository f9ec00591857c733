import { env } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import { parseSettings } from "../src/config";
import { decryptSecret, encryptSecret } from "../src/domain/crypto";
import { checkCustomBaseUrl } from "../src/domain/provider-keys";
import { createDb } from "../src/db/client";
import { chatCompletion } from "../src/model/client";
import { resolveUpstream } from "../src/model/upstream";
import { BYOK_KEY, agentOnFakeModel, rawCall, signUpWithTeam, unique, waitForRun } from "./helpers";

afterEach(() => vi.restoreAllMocks());
const KEY = env.ENCRYPTION_KEY;

describe("BYOK provider keys", () => {
  it("encrypts with AES-GCM bound to its row: round trip works, another context or key does not", async () => {
    const sealed = await encryptSecret(KEY, "sk-secret-value-1234", "provider-key:t1:openai");
    expect(sealed).toMatch(/^v1\./);
    expect(sealed).not.toContain("sk-secret");
    expect(await decryptSecret(KEY, sealed, "provider-key:t1:openai")).toBe("sk-secret-value-1234");
    await expect(decryptSecret(KEY, sealed, "provider-key:t2:openai")).rejects.toThrow();
    await expect(decryptSecret(btoa("x".repeat(32)), sealed, "provider-key:t1:openai")).rejects.toThrow();
    expect(await encryptSecret(KEY, "same", "c")).not.toBe(await encryptSecret(KEY, "same", "c"));
  });

  it("adds, replaces and removes keys, showing only the last 4 characters", async () => {
    const { api, team } = await signUpWithTeam("keys");
    const openai = await api.providerKeys.set.mutate({ provider: "openai", apiKey: "sk-proj-aaaaaaaaaaaaWXYZ" });
    expect(openai).toEqual({ provider: "openai", last4: "WXYZ", baseUrl: null, updatedAt: expect.any(String) });
    await api.providerKeys.set.mutate({ provider: "custom", apiKey: "local-key-0000-9876", baseUrl: "http://127.0.0.1:11434/v1/" });
    const replaced = await api.providerKeys.set.mutate({ provider: "openai", apiKey: "sk-proj-bbbbbbbbbbbb1234" });
    expect(replaced.last4).toBe("1234");
    expect(await api.providerKeys.list.query()).toEqual([
      expect.objectContaining({ provider: "custom", last4: "9876", baseUrl: "http://127.0.0.1:11434/v1" }),
      expect.objectContaining({ provider: "openai", last4: "1234", baseUrl: null }),
    ]);
    const rows = await env.DB.prepare("select * from provider_keys where tenant_id = ?").bind(team.id).all();
    expect(JSON.stringify(rows.results)).not.toMatch(/bbbbbbbbbbbb|local-key-0000/);

    expect(await api.providerKeys.remove.mutate({ provider: "openai" })).toEqual([expect.objectContaining({ provider: "custom" })]);
    const { status } = await rawCall("providerKeys.remove", { provider: "openai" }, { cookie: (await signUpWithTeam("x")).user.cookie });
    expect(status).toBe(404);
  });

  it("never puts a key in a procedure's output or a log line, even when the provider echoes it", async () => {
    const logged: string[] = [];
    for (const level of ["log", "info", "warn", "error", "debug"] as const) {
      vi.spyOn(console, level).mockImplementation((...args: unknown[]) => void logged.push(args.map(String).join(" ")));
    }
    const { api, user, team } = await signUpWithTeam("nolog");
    const ok = await agentOnFakeModel(api, "echo");
    const bad = await api.agents.create.mutate({ templateId: "support-triage", name: "bad", model: "custom/fail-400" });
    const outputs: unknown[] = [];
    outputs.push(await api.providerKeys.list.query());
    for (const agent of [ok, bad]) {
      const { id } = await api.runs.create.mutate({ agentId: agent.id, input: unique("secret check") });
      outputs.push(await waitForRun(api, id));
    }
    outputs.push(await api.runs.list.query());
    outputs.push(
      (await rawCall("providerKeys.set", { provider: "custom", apiKey: BYOK_KEY }, { cookie: user.cookie, tenantId: team.id })).body,
    );
    const everything = `${JSON.stringify(outputs)}\n${logged.join("\n")}`;
    expect(everything).toContain("Incorrect API key provided"); // the failure really happened
    for (const fragment of [BYOK_KEY, BYOK_KEY.slice(0, 5), BYOK_KEY.slice(-6)]) expect(everything).not.toContain(fragment);
  });

  it("allows private or http base URLs only when the operator says so", () => {
    const base = { APP_URL: "https://a.example", BETTER_AUTH_SECRET: "x".repeat(32), ENCRYPTION_KEY: KEY };
    const strict = parseSettings({ ...base, ALLOW_PRIVATE_MODEL_URLS: "false" });
    const relaxed = parseSettings({ ...base, ALLOW_PRIVATE_MODEL_URLS: "true" });
    expect(checkCustomBaseUrl("https://llm.example.com/v1/", strict)).toBe("https://llm.example.com/v1");
    for (const url of [
      "http://llm.example.com/v1",
      "https://127.0.0.1/v1",
      "https://10.1.2.3/v1",
      "https://192.168.1.5/v1",
      "https://localhost:11434/v1",
      "https://[::1]/v1",
      "https://169.254.169.254/v1",
    ]) {
      expect(() => checkCustomBaseUrl(url, strict), url).toThrow(/public https/);
      expect(checkCustomBaseUrl(url, relaxed)).toBe(url.replace(/\/$/, ""));
    }
  });

  it("reads the host as an address, so no spelling of a private one gets through", () => {
    const base = { APP_URL: "https://a.example", BETTER_AUTH_SECRET: "x".repeat(32), ENCRYPTION_KEY: KEY };
    const strict = parseSettings({ ...base, ALLOW_PRIVATE_MODEL_URLS: "false" });
    for (const url of [
      "https://[::ffff:127.0.0.1]/v1",
      "https://[::ffff:7f00:1]/v1",
      "https://[::ffff:169.254.169.254]/v1",
      "https://0x7f.0.0.1/v1",
      "https://2130706433/v1",
      "https://127.1/v1",
      "https://0177.0.0.1/v1",
      "https://[fd12:3456::1]/v1",
      "https://[fe80::1]/v1",
      "https://[::]/v1",
      "https://100.64.0.1/v1",
      "https://0.0.0.0/v1",
      "https://metadata/v1",
      "https://metadata.google.internal/v1",
      "https://printer.local/v1",
    ])
      expect(() => checkCustomBaseUrl(url, strict), url).toThrow(/public https/);
    for (const url of ["https://8.8.8.8/v1", "https://[2606:4700::1111]/v1", "https://llm.example.com/v1"])
      expect(checkCustomBaseUrl(url, strict), url).toBe(url);
  });

  it("checks a saved base URL again at call time, and never follows a redirect", async () => {
    const { api, team } = await signUpWithTeam("ssrf-call");
    // Saved while private URLs were allowed (the test Worker allows them: its fake model is local).
    const agent = await agentOnFakeModel(api, "redirect");
    const strict = { ...parseSettings(env as unknown as Record<string, unknown>), ALLOW_PRIVATE_MODEL_URLS: false };
    await expect(resolveUpstream(createDb(env.DB), strict, team.id, "custom/redirect")).rejects.toThrow(/public https/);
    // The upstream answers 302: the run fails naming the status, and nothing follows the redirect.
    const { id } = await api.runs.create.mutate({ agentId: agent.id, input: "where to?" });
    const run = await waitForRun(api, id);
    expect(run.status).toBe("failed");
    expect(run.error).toMatch(/302/);
  });

  it("redacts any 5+ character piece of the key from provider error text", async () => {
    const { redact } = await import("../src/model/client");
    const key = "sk-live-0123456789abcdefXYZ9";
    const text = `Incorrect API key provided: sk-liv…XYZ9 (${key}); model gpt-4.1 not found for org-abc`;
    const out = redact(text, key);
    expect(out).not.toMatch(/sk-liv|0123456789|abcdef|live-0/);
    expect(out).toContain("model gpt-4.1 not found");
  });

  it("the model module also speaks the non-streaming protocol and reads its usage", async () => {
    const marker = unique("plain");
    const result = await chatCompletion(
      { url: `${env.FAKE_MODEL_URL}/v1/chat/completions`, model: "echo", headers: { authorization: "Bearer k" }, secret: "k" },
      { messages: [{ role: "user", content: marker }], stream: false, timeoutMs: 5000 },
    );
    expect(result.text).toBe(`Echo: ${marker}`);
    expect(result.usage.outputTokens).toBeGreaterThan(0);
  });
});

describe("agents and templates", () => {
  it("lists at least four templates with persona files and packs", async () => {
    const { api } = await signUpWithTeam("tpl");
    const templates = await api.templates.list.query();
    expect(templates.length).toBeGreaterThanOrEqual(4);
    for (const t of templates) {
      expect(t.files).toEqual(expect.arrayContaining(["AGENTS.md", "SOUL.md"]));
      expect(t.packs.length).toBeGreaterThan(0);
      expect(t.defaultModel).toMatch(/^[a-z]+\/.+/);
    }
  });

  it("creates an agent from a template (workspace files in R2), renames it, changes its model, deletes it", async () => {
    const { api, team } = await signUpWithTeam("agents");
    const agent = await api.agents.create.mutate({ templateId: "daily-briefing", name: "Morning brief" });
    expect(agent).toMatchObject({ name: "Morning brief", templateId: "daily-briefing", model: "google/gemini-2.5-flash" });
    const prefix = `tenant/${team.id}/openclaw/workspace/${agent.id}/`;
    const files = (await env.ARTIFACTS.list({ prefix })).objects.map((o) => o.key.slice(prefix.length)).sort();
    expect(files).toEqual(["AGENTS.md", "IDENTITY.md", "SOUL.md"]);
    expect(await (await env.ARTIFACTS.get(`${prefix}AGENTS.md`))!.text()).toContain("daily briefing");

    expect(await api.agents.update.mutate({ id: agent.id, name: "Evening brief", model: "custom/llama3.2" })).toMatchObject({
      name: "Evening brief",
      model: "custom/llama3.2",
    });
    expect(await api.agents.get.query({ id: agent.id })).toMatchObject({ name: "Evening brief" });
    expect(await api.agents.list.query()).toHaveLength(1);

    await api.agents.remove.mutate({ id: agent.id });
    expect(await api.agents.list.query()).toEqual([]);
    expect((await env.ARTIFACTS.list({ prefix })).objects).toEqual([]);
    const { status } = await rawCall("agents.get", { id: agent.id }, { cookie: (await signUpWithTeam("y")).user.cookie }, "query");
    expect(status).toBe(404);
  });

  it("keeps the history of a deleted agent's runs readable", async () => {
    const { api } = await signUpWithTeam("history");
    const agent = await agentOnFakeModel(api);
    const { id } = await api.runs.create.mutate({ agentId: agent.id, input: "remember me" });
    await waitForRun(api, id);
    await api.agents.remove.mutate({ id: agent.id });
    expect((await api.runs.get.query({ id })).output).toBe("Echo: remember me");
    expect((await api.runs.list.query({ agentId: agent.id })).items).toHaveLength(1);
  });
});
