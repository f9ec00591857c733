// Skill policy as a team's admins set it: batches all or nothing, names checked, `allowed` never the
// team's, the platform's denylist, packs, per-agent narrowing, history, and the generated config
// that enforces it. The inventory read from a real OpenClaw is tested with the runtime (runtime/test/skills.test.ts).
import { describe, expect, it } from "vitest";
import { PLATFORM_DENIED_SKILLS } from "@autoclaw/shared";
import { deniedBecause, skillsConfig } from "../src/domain/skill-policy";
import { mergeInventories, parseSkillsList } from "../src/domain/skills";
import { agentOnFakeModel, client, expectTrpcError, joinTeam, signUp, signUpWithTeam } from "./helpers";

const agentView = async (api: ReturnType<typeof client>, agentId: string) =>
  (await api.skills.list.query()).agents.find((a) => a.agentId === agentId)!;

describe("skill policy", () => {
  it("a batch applies all or nothing: an unknown name is BAD_REQUEST naming it, and nothing changes", async () => {
    const { api } = await signUpWithTeam("sk-batch");
    const agent = await agentOnFakeModel(api);
    const e = await expectTrpcError(
      api.skills.updatePolicy.mutate({
        policies: [
          { name: "weather", enabled: false },
          { name: "no-such-skill", enabled: false },
        ],
      }),
      "BAD_REQUEST",
    );
    expect(e.message).toContain("no-such-skill");
    expect((await agentView(api, agent.id)).effective).toContain("weather");

    const list = await api.skills.updatePolicy.mutate({
      policies: [
        { name: "weather", enabled: false },
        { name: "trello", hidden: true },
      ],
    });
    // No runtime here: the change waits for the next start, and the list says so.
    expect(list.applied).toBe("next-start");
    expect(list.agents.find((a) => a.agentId === agent.id)!.effective).toEqual(["notion", "taskflow", "taskflow-inbox-triage", "trello"]);
  });

  it("`allowed` is the platform's and the plan's: a team setting it is FORBIDDEN naming the skill; denied skills cannot be enabled", async () => {
    const { api } = await signUpWithTeam("sk-allowed");
    const agent = await agentOnFakeModel(api);
    const e = await expectTrpcError(
      api.skills.updatePolicy.mutate({
        policies: [
          { name: "notion", enabled: false },
          { name: "weather", allowed: false },
        ],
      }),
      "FORBIDDEN",
    );
    expect(e.message).toContain("weather");
    expect((await agentView(api, agent.id)).effective).toContain("notion"); // the batch's other change did not happen

    const denied = await expectTrpcError(api.skills.updatePolicy.mutate({ policies: [{ name: "tmux", enabled: true }] }), "BAD_REQUEST");
    expect(denied.message).toMatch(/tmux cannot be enabled: Not available in hosted runtimes/);
    // Even added to an agent by an admin, a denied skill is never offered.
    await api.skills.updateAgent.mutate({ agentId: agent.id, skills: [{ name: "tmux", include: true }] });
    const view = await agentView(api, agent.id);
    expect(view.added).toEqual(["tmux"]);
    expect(view.effective).not.toContain("tmux");
  });

  it("only admins change policy: a member is FORBIDDEN and nothing changes; another team's policy is its own", async () => {
    const { api } = await signUpWithTeam("sk-member");
    const agent = await agentOnFakeModel(api);
    const person = await signUp("sk-member-person");
    await joinTeam(api, person);
    const member = client({ cookie: person.cookie });
    await expectTrpcError(member.skills.updatePolicy.mutate({ policies: [{ name: "weather", enabled: false }] }), "FORBIDDEN");
    await expectTrpcError(member.skills.applyPack.mutate({ pack: "research" }), "FORBIDDEN");
    await expectTrpcError(member.skills.configure.mutate({ name: "trello", env: { TRELLO_TOKEN: "x" } }), "FORBIDDEN");
    expect((await agentView(member, agent.id)).effective).toContain("weather"); // members see the list

    const other = await signUpWithTeam("sk-other");
    const theirs = await agentOnFakeModel(other.api);
    await api.skills.updatePolicy.mutate({ policies: [{ name: "weather", enabled: false }] });
    expect((await agentView(api, agent.id)).effective).not.toContain("weather");
    expect((await agentView(other.api, theirs.id)).effective).toContain("weather");
    // Another team's agent cannot be narrowed from here.
    await expectTrpcError(
      api.skills.updateAgent.mutate({ agentId: theirs.id, skills: [{ name: "weather", include: false }] }),
      "NOT_FOUND",
    );
  });

  it("per agent: an admin adds and removes skills, and null goes back to the template", async () => {
    const { api } = await signUpWithTeam("sk-agent");
    const agent = await agentOnFakeModel(api);
    await api.skills.updateAgent.mutate({
      agentId: agent.id,
      skills: [
        { name: "summarize", include: true },
        { name: "notion", include: false },
      ],
    });
    let view = await agentView(api, agent.id);
    expect(view).toMatchObject({ added: ["summarize"], removed: ["notion"] });
    expect(view.effective).toEqual(["summarize", "taskflow", "taskflow-inbox-triage", "trello", "weather"]);
    await api.skills.updateAgent.mutate({ agentId: agent.id, skills: [{ name: "notion", include: null }] });
    view = await agentView(api, agent.id);
    expect(view.removed).toEqual([]);
    expect(view.effective).toContain("notion");
  });

  it("packs: listed with their skills; applying one switches its skills on, and with an agent adds them to it", async () => {
    const { api } = await signUpWithTeam("sk-packs");
    const agent = await agentOnFakeModel(api);
    const packs = await api.skills.packs.query();
    expect(packs.map((p) => p.id)).toEqual(["productivity", "research", "support", "briefing"]);
    expect(packs.every((p) => p.allowedByPlan)).toBe(true);
    await api.skills.updatePolicy.mutate({ policies: [{ name: "visualize", enabled: false }] });
    expect((await api.skills.packs.query()).find((p) => p.id === "briefing")!.skills.find((s) => s.name === "visualize")!.effective).toBe(
      false,
    );

    const list = await api.skills.applyPack.mutate({ pack: "briefing", agentId: agent.id });
    const view = list.agents.find((a) => a.agentId === agent.id)!;
    expect(view.added).toEqual(["blogwatcher", "summarize", "visualize", "weather"]);
    expect(view.effective).toEqual(expect.arrayContaining(["blogwatcher", "summarize", "visualize"]));
    await expectTrpcError(api.skills.applyPack.mutate({ pack: "nope" }), "BAD_REQUEST");
  });

  it("records who changed what, and when", async () => {
    const { api, user } = await signUpWithTeam("sk-history");
    await agentOnFakeModel(api);
    await api.skills.updatePolicy.mutate({ policies: [{ name: "weather", hidden: true }] });
    await api.skills.applyPack.mutate({ pack: "research" });
    const [pack, policy] = await api.skills.history.query();
    expect(policy).toMatchObject({ actorName: user.name, change: { kind: "policy", name: "weather", hidden: true } });
    expect(pack!.change).toMatchObject({ kind: "pack", pack: "research" });
    expect(Date.now() - Date.parse(policy!.at)).toBeLessThan(60_000);
  });

  it("without a runtime the list is empty with a note, never an error; diagnosing a pack skill says the runtime was not asked", async () => {
    const { api } = await signUpWithTeam("sk-direct");
    const list = await api.skills.list.query();
    expect(list).toMatchObject({ skills: [], inventoryAt: null });
    expect(list.note).toMatch(/without tenant runtimes/);
    const d = await api.skills.diagnose.query({ name: "weather" });
    expect(d.fixes[0]).toMatchObject({ kind: "unknown", fixable: false });
    await expectTrpcError(api.skills.diagnose.query({ name: "not-a-skill" }), "NOT_FOUND");
    await expectTrpcError(api.skills.configure.mutate({ name: "weather", env: { WEATHER_KEY: "x" } }), "BAD_REQUEST");
  });
});

describe("the config that enforces it", () => {
  const state = (patch: Partial<Parameters<typeof skillsConfig>[0]> = {}) => ({
    policies: [],
    overrides: [],
    secrets: [],
    planPacks: null,
    ...patch,
  });

  it("switches off every platform-denied skill and the team's disabled ones; secrets are references, never values", () => {
    const now = new Date();
    const { entries, sealed } = skillsConfig(
      state({
        policies: [{ tenantId: "t", name: "weather", enabled: false, hidden: false, updatedBy: "u", updatedAt: now }],
        secrets: [
          { tenantId: "t", name: "trello", envName: "TRELLO_TOKEN", ciphertext: "sealed", updatedBy: "u", updatedAt: now },
          { tenantId: "t", name: "weather", envName: "W", ciphertext: "sealed-2", updatedBy: "u", updatedAt: now },
        ],
      }),
    );
    for (const name of Object.keys(PLATFORM_DENIED_SKILLS)) expect(entries[name]).toEqual({ enabled: false });
    expect(entries.weather).toEqual({ enabled: false }); // a skill that is off gets none of its secrets
    expect(entries.trello).toEqual({ env: { TRELLO_TOKEN: "${AUTOCLAW_SKILL_TRELLO__TRELLO_TOKEN}" } });
    expect(sealed.map((s) => s.ciphertext)).toEqual(["sealed"]);
  });

  it("a plan without a pack does not allow the skills only that pack has", () => {
    expect(deniedBecause("blogwatcher", ["productivity"])).toMatch(/Research or Briefing pack/);
    expect(deniedBecause("weather", ["productivity"])).toBeNull(); // also in Productivity
    expect(deniedBecause("my-own-skill", ["productivity"])).toBeNull(); // in no pack
    expect(skillsConfig(state({ planPacks: ["productivity"] })).entries.blogwatcher).toEqual({ enabled: false });
  });

  it("reads OpenClaw's list: sources named as AutoClaw names them, a switched-off skill still eligible, workspace skills per agent", () => {
    const out = (skills: object[]) => `warning: something\n${JSON.stringify({ workspaceDir: "/w", skills })}`;
    const a = parseSkillsList(
      out([
        { name: "notion", eligible: false, disabled: true, source: "openclaw-bundled", missing: { bins: [], env: [] } },
        { name: "mine", eligible: true, source: "openclaw-workspace", description: "Mine" },
        { name: "x", eligible: false, disabled: true, source: "openclaw-custodian", missing: { bins: ["x"] } },
      ]),
      "ag_1",
    );
    expect(a.map((s) => [s.name, s.source, s.eligible, s.agents])).toEqual([
      ["notion", "bundled", true, []],
      ["mine", "workspace", true, ["ag_1"]],
      ["x", "managed", false, []],
    ]);
    const b = parseSkillsList(
      out([
        { name: "mine", eligible: true, source: "openclaw-workspace" },
        { name: "notion", eligible: true, source: "openclaw-workspace" }, // shadows the bundled one for ag_2
      ]),
      "ag_2",
    );
    const merged = mergeInventories([a, b]);
    expect(merged.find((s) => s.name === "mine")!.agents).toEqual(["ag_1", "ag_2"]);
    expect(merged.find((s) => s.name === "notion")).toMatchObject({ source: "workspace", agents: ["ag_2"] });
  });
});
