// Skills with a real OpenClaw: the inventory is what the tenant's own OpenClaw reports, and the
// team's policy reaches the running gateway (what the model is offered changes, without a restart),
// the workspace (a skill the team may not use has no files there) and a skill's secrets (eligible
// once configured, and in no response, log or workspace file).
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFakeModel, type FakeModel } from "../../fakes/openai";
import { client, hostCall, startStack, waitForPool, type Stack } from "./stack";

const PORT = 8847;
const TRELLO_KEY = "trello-key-secret-7d1f0a9c3b";
const TRELLO_TOKEN = "trello-token-secret-55e2c81f4a";
let stack: Stack;
let fake: FakeModel;

beforeAll(async () => {
  fake = await startFakeModel();
  stack = await startStack(PORT, { RUNTIME_POOL_SIZE: "1" });
  await waitForPool(PORT + 2, 1);
}, 300_000);
afterAll(async () => {
  await stack?.stop();
  await fake?.close();
}, 60_000);

type Api = ReturnType<typeof client>;
interface Skill {
  name: string;
  source: string;
  eligible: boolean;
  allowed: boolean;
  enabled: boolean;
  effective: boolean;
  agents: string[];
  missing: { env: string[]; bins: string[] };
  configuredEnv: string[];
}
interface List {
  skills: Skill[];
  agents: { agentId: string; effective: string[] }[];
  inventoryAt: string | null;
  note: string | null;
  applied: string;
}

async function run(c: Api, agentId: string, input: string) {
  const { id } = await c.call<{ id: string }>("runs.create", { agentId, input });
  for (const deadline = Date.now() + 90_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 250))) {
    const r = await c.query<{ status: string; output: string | null; error: string | null }>("runs.get", { id });
    if (["succeeded", "failed", "canceled"].includes(r.status)) return r;
  }
  throw new Error(`run ${id} did not finish`);
}

/** The skills OpenClaw put in the system prompt of the model call that carried this input. */
function offered(input: string): string[] {
  const call = fake.requests.find((r) => r.messages.some((m) => m.role === "user" && m.content.includes(input)));
  const system = call?.messages.find((m) => m.role === "system")?.content ?? "";
  return [...system.matchAll(/<name>([^<]+)<\/name>/g)].map((m) => m[1]!).sort();
}

const hostStatus = (tenantId: string) => hostCall<{ dir: string; pid: number | null }>(stack, "GET", `/tenants/${tenantId}/status`);

function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.join(e.parentPath, e.name));
}

describe("skills in a team's real OpenClaw runtime", () => {
  let a: Api;
  let team: { id: string };
  let agent: { id: string };
  let writer: { id: string };

  it("the inventory is what the tenant's OpenClaw reports; a stopped runtime answers from the cache with a note", async () => {
    a = client(stack.api, `http://127.0.0.1:${PORT + 1}`);
    team = await a.signUpWithTeam("skills");
    await a.call("providerKeys.set", { provider: "custom", apiKey: "sk-skills-byok-0099887766", baseUrl: `${fake.url}/v1` });
    agent = await a.call<{ id: string }>("agents.create", { templateId: "personal-assistant", name: "Helper", model: "custom/echo" });
    writer = await a.call<{ id: string }>("agents.create", { templateId: "personal-assistant", name: "Writer", model: "custom/writer" });

    const before = await a.query<List>("skills.list");
    expect(before).toMatchObject({ skills: [], inventoryAt: null, applied: "next-start" });
    expect(before.note).toMatch(/runtime is stopped/);

    expect((await run(a, agent.id, "hello before")).status).toBe("succeeded");
    const list = await a.query<List>("skills.list");
    expect(list.note).toBeNull();
    expect(list.applied).toBe("live");
    expect(list.inventoryAt).not.toBeNull();

    // OpenClaw itself, asked through the runtime host for this tenant's gateway.
    const own = await hostCall<{ code: number; stdout: string }>(stack, "POST", `/tenants/${team.id}/cli`, {
      args: ["skills", "list", "--json", "--agent", agent.id],
    });
    const reported = (JSON.parse(own.stdout.slice(own.stdout.indexOf("{"))) as { skills: { name: string; missing: { env: string[] } }[] })
      .skills;
    expect(list.skills.map((s) => s.name).sort()).toEqual(reported.map((s) => s.name).sort());
    expect(list.skills.length).toBeGreaterThan(40);
    const trello = list.skills.find((s) => s.name === "trello")!;
    expect(trello).toMatchObject({ source: "bundled", eligible: false, allowed: true, enabled: true });
    expect(trello.missing.env).toEqual(reported.find((s) => s.name === "trello")!.missing.env);
    expect(list.skills.find((s) => s.name === "tmux")).toMatchObject({ allowed: false, effective: false });

    // The agent is offered its template's eligible skills, as OpenClaw words its prompt.
    expect(offered("hello before")).toEqual(expect.arrayContaining(["taskflow", "weather"]));
    expect(offered("hello before")).not.toContain("tmux");

    // Stopped: the cache answers, with a note; no gateway is started to list.
    await a.call("runtime.stop");
    const cached = await a.query<List>("skills.list");
    expect(cached.inventoryAt).toBe(list.inventoryAt);
    expect(cached.note).toMatch(/runtime is stopped: skills are shown as it was last read/);
    expect((await a.query<{ state: string }>("runtime.status")).state).toBe("stopped");
    await a.call("runtime.start");
  }, 240_000);

  it("switching a skill off removes it from what the model is offered, live; switching it on brings it back without a restart", async () => {
    const pid = (await hostStatus(team.id)).pid;
    expect((await run(a, agent.id, "weather check one")).status).toBe("succeeded");
    expect(offered("weather check one")).toContain("weather");

    const off = await a.call<List>("skills.updatePolicy", { policies: [{ name: "weather", enabled: false }] });
    expect(off.applied).toBe("live");
    expect(off.skills.find((s) => s.name === "weather")).toMatchObject({ enabled: false, effective: false, eligible: true });
    expect((await run(a, agent.id, "weather check two")).status).toBe("succeeded");
    expect(offered("weather check two")).not.toContain("weather");
    expect(offered("weather check two")).toContain("taskflow");

    await a.call<List>("skills.updatePolicy", { policies: [{ name: "weather", enabled: true }] });
    expect((await run(a, agent.id, "weather check three")).status).toBe("succeeded");
    expect(offered("weather check three")).toContain("weather");
    expect((await hostStatus(team.id)).pid).toBe(pid); // the same gateway process throughout
  }, 180_000);

  it("a skill an agent writes into its workspace is listed as workspace; one the team may not use leaves the workspace, kept aside", async () => {
    const skill = (name: string) =>
      `write skills/${name}/SKILL.md: ---\nname: ${name}\ndescription: The team's own ${name} skill.\n---\nFollow the team's notes.\n`;
    expect((await run(a, writer.id, skill("team-notes"))).output).toBe("Saved.");
    expect((await run(a, writer.id, skill("tmux"))).output).toBe("Saved.");
    const workspace = path.join((await hostStatus(team.id)).dir, "workspace", writer.id, "skills");
    expect(existsSync(path.join(workspace, "tmux", "SKILL.md"))).toBe(true);

    const list = await a.call<List>("skills.refresh");
    expect(list.note).toBeNull();
    expect(list.skills.find((s) => s.name === "team-notes")).toMatchObject({ source: "workspace", agents: [writer.id], effective: true });
    expect(list.skills.find((s) => s.name === "tmux")).toMatchObject({ source: "workspace", allowed: false });
    // Not in the workspace any more, not deleted: the runtime keeps it aside (and R2 under set-aside/).
    expect(existsSync(path.join(workspace, "tmux"))).toBe(false);
    expect(existsSync(path.join(workspace, "team-notes", "SKILL.md"))).toBe(true);
    const aside = filesUnder(stack.stateDir).filter((f) => f.includes(`${path.sep}set-aside${path.sep}`));
    expect(aside.some((f) => f.endsWith(path.join(writer.id, "skills", "tmux", "SKILL.md")))).toBe(true);

    // A workspace skill is the team's to hand to the agent whose workspace holds it, like any other.
    expect(offered(skill("tmux"))).not.toContain("team-notes"); // not in its template's packs
    await a.call("skills.updateAgent", { agentId: writer.id, skills: [{ name: "team-notes", include: true }] });
    expect((await run(a, writer.id, "notes check")).status).toBe("succeeded");
    expect(offered("notes check")).toContain("team-notes");
    expect(offered("notes check")).not.toContain("tmux");
  }, 180_000);

  it("a skill missing an API key is diagnosed, eligible once configured, and the key is in no response, log or workspace file", async () => {
    const diagnosis = await a.query<{ fixes: { kind: string; env?: string; fixable: boolean }[] }>("skills.diagnose", { name: "trello" });
    expect(diagnosis.fixes.filter((f) => f.kind === "env")).toEqual([
      expect.objectContaining({ env: "TRELLO_API_KEY", fixable: true }),
      expect.objectContaining({ env: "TRELLO_TOKEN", fixable: true }),
    ]);
    const binOnly = await a.query<{ fixes: { kind: string; fixable: boolean; description: string }[] }>("skills.diagnose", {
      name: "blogwatcher",
    });
    expect(binOnly.fixes).toEqual([expect.objectContaining({ kind: "bin", fixable: false })]);
    expect(binOnly.fixes[0]!.description).toMatch(/hosted runtime does not ship/);

    const configured = await a.call<Skill>("skills.configure", {
      name: "trello",
      env: { TRELLO_API_KEY: TRELLO_KEY, TRELLO_TOKEN: TRELLO_TOKEN },
    });
    expect(configured).toMatchObject({ name: "trello", eligible: true, configuredEnv: ["TRELLO_API_KEY", "TRELLO_TOKEN"] });
    const answers = JSON.stringify([
      configured,
      await a.query("skills.list"),
      await a.query("skills.diagnose", { name: "trello" }),
      await a.query("skills.history"),
      await a.query("runtime.logs", { lines: 500 }),
    ]);
    expect((await run(a, agent.id, "trello check")).status).toBe("succeeded");
    expect(offered("trello check")).toContain("trello");

    for (const secret of [TRELLO_KEY, TRELLO_TOKEN]) {
      expect(answers).not.toContain(secret);
      expect(stack.log()).not.toContain(secret);
      const workspace = path.join((await hostStatus(team.id)).dir, "workspace");
      for (const f of filesUnder(workspace)) expect(readFileSync(f).includes(secret), f).toBe(false);
      for (const f of filesUnder(path.join((await hostStatus(team.id)).dir, "logs")))
        expect(readFileSync(f).includes(secret), f).toBe(false);
    }
    // Only a variable the skill asks for is taken.
    await expect(a.call("skills.configure", { name: "trello", env: { PATH: "/tmp" } })).rejects.toThrow(/does not use PATH/);
  }, 180_000);

  it("Check runtime runs OpenClaw's own diagnostics on the running gateway", async () => {
    const check = await a.call<{ findings: { source: string; severity: string; title: string }[]; errors: string[] }>("runtime.check");
    expect(check.errors).toEqual([]);
    expect(new Set(check.findings.map((f) => f.source))).toEqual(new Set(["security-audit", "doctor"]));
    expect(check.findings.every((f) => f.title.length > 0)).toBe(true);
  }, 120_000);
});
