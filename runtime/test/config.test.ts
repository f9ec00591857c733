// The Worker's generated tenant config, validated by the pinned OpenClaw itself.
import { mkdtemp } from "node:fs/promises";
import { readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PLATFORM_DENIED_SKILLS, SKILL_PACKS, skillsForTemplate, TEMPLATES } from "@autoclaw/shared";
import { OPENCLAW_VERSION as PINNED, tenantOpenclawConfig } from "@autoclaw/runtime-protocol";
import { LISTING_SCRIPT } from "../../api/src/drivers/sandbox-driver";
import { OPENCLAW_VERSION, RuntimeHost } from "../src/host";

let host: RuntimeHost;
beforeAll(async () => {
  host = new RuntimeHost({
    port: 0,
    secret: "x".repeat(32),
    dataDir: await mkdtemp(path.join(tmpdir(), "autoclaw-cfg-")),
    idleMs: 60_000,
    log: () => undefined,
  });
});
afterAll(() => host.close());

describe("generated tenant OpenClaw config", () => {
  it("is pinned to the OpenClaw version the runtime installs (package.json and Dockerfile)", () => {
    expect(PINNED).toBe(OPENCLAW_VERSION);
    const pkg = JSON.parse(readFileSync(path.join(import.meta.dirname, "..", "package.json"), "utf8"));
    expect(pkg.dependencies.openclaw).toBe(PINNED);
    expect(readFileSync(path.join(import.meta.dirname, "..", "Dockerfile"), "utf8")).toContain(`openclaw@${PINNED}`);
  });

  it("the image ships the workspace listing where the sandbox driver runs it", () => {
    expect(readFileSync(path.join(import.meta.dirname, "..", "Dockerfile"), "utf8")).toContain(
      `COPY src/workspace-listing.ts ${LISTING_SCRIPT}`,
    );
  });

  for (const restrictTools of [true, false]) {
    it(`passes openclaw config validate (restrictTools: ${restrictTools})`, async () => {
      const config = tenantOpenclawConfig({
        agents: [
          { id: "ag_0123456789abcdef01234567", name: "Scout", model: "custom/echo", skills: ["weather"] },
          { id: "ag_89abcdef0123456789abcdef", name: "Brief", model: "openai/gpt-4.1-mini" },
        ],
        modelProxyUrl: "http://127.0.0.1:8787/api/model/v1",
        // The team's policy as the skills module writes it: switched off, a configured key, a rescan.
        skills: { tmux: { enabled: false }, trello: { env: { TRELLO_TOKEN: "${AUTOCLAW_SKILL_TRELLO__TRELLO_TOKEN}" } } },
        skillsRescan: 2,
        restrictTools,
      });
      const result = await host.cli("cfg-test", ["config", "validate"], config);
      expect(result.stdout + result.stderr).toMatch(/Config valid/);
      expect(result.code).toBe(0);
    });
  }

  it("every pack names a skill the pinned OpenClaw really has, and every template's packs exist", async () => {
    const { stdout } = await host.cli("cfg-skills", ["skills", "list", "--json"]);
    const real = new Set((JSON.parse(stdout) as { skills: { name: string }[] }).skills.map((s) => s.name));
    for (const [pack, { skills }] of Object.entries(SKILL_PACKS))
      for (const skill of skills) expect(real.has(skill), `${pack}: ${skill}`).toBe(true);
    for (const t of TEMPLATES) expect(skillsForTemplate(t.id)!.length).toBeGreaterThan(0);
    // The platform's denylist names real skills (a typo would leave one allowed), and no pack holds one.
    for (const denied of Object.keys(PLATFORM_DENIED_SKILLS)) {
      expect(real.has(denied), denied).toBe(true);
      expect(
        Object.values(SKILL_PACKS).some((p) => p.skills.includes(denied)),
        denied,
      ).toBe(false);
    }
  });

  it("holds no secret: keys and tokens are ${ENV} references", () => {
    const text = JSON.stringify(
      tenantOpenclawConfig({
        agents: [{ id: "ag_x", name: "x", model: "custom/echo" }],
        modelProxyUrl: "https://autoclaw.example/api/model/v1",
        restrictTools: true,
      }),
    );
    expect(text).toContain("${AUTOCLAW_MODEL_TOKEN}");
    expect(text).toContain("${OPENCLAW_GATEWAY_TOKEN}");
    expect(text).not.toMatch(/sk-|Bearer /);
    expect(text).not.toMatch(/telegram/i);
  });
});
