// Skills: what a team's OpenClaw reports it has (the inventory), the team's policy for each skill,
// and what it takes to make one eligible. The inventory always comes from the runtime itself.
import { z } from "zod";

/** Where a skill comes from, as AutoClaw names OpenClaw's sources (`openclaw-bundled` → bundled, …). */
export const SKILL_SOURCES = ["bundled", "managed", "extra", "workspace"] as const;
export const skillSource = z.enum(SKILL_SOURCES);
export type SkillSource = z.infer<typeof skillSource>;

/** A skill's name as OpenClaw spells it (a folder name): what the policy, packs and CLI accept. */
export const skillName = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[a-z0-9][a-z0-9-]*$/, "A skill name is lowercase letters, digits and dashes");

/** What OpenClaw says a skill lacks to be eligible here. */
export const skillMissing = z.object({
  bins: z.array(z.string()),
  anyBins: z.array(z.string()),
  env: z.array(z.string()),
  config: z.array(z.string()),
  os: z.array(z.string()),
});
export type SkillMissing = z.infer<typeof skillMissing>;

/** One skill as the runtime reported it (the cached inventory's row). */
export const inventorySkill = z.object({
  name: z.string(),
  description: z.string(),
  emoji: z.string().nullable(),
  source: skillSource,
  eligible: z.boolean(),
  missing: skillMissing,
  /** The environment variable OpenClaw names as the skill's API key, if any. */
  primaryEnv: z.string().nullable(),
  homepage: z.string().nullable(),
  /** For workspace skills: the agents whose workspace holds it. */
  agents: z.array(z.string()),
});
export type InventorySkill = z.infer<typeof inventorySkill>;

export const skillEntry = inventorySkill.extend({
  /** May this team use it at all (the platform's denylist and the plan; read-only for teams). */
  allowed: z.boolean(),
  /** Why it is not allowed, when it is not. */
  deniedBecause: z.string().nullable(),
  /** The team's switch. */
  enabled: z.boolean(),
  /** Not listed to chat users (Telegram /skills). */
  hidden: z.boolean(),
  /** allowed and enabled: what the team's agents may be offered. */
  effective: z.boolean(),
  packs: z.array(z.string()),
  /** Names of the environment values the team has set for it (never the values). */
  configuredEnv: z.array(z.string()),
  updatedAt: z.iso.datetime().nullable(),
  updatedBy: z.string().nullable(),
});
export type SkillEntry = z.infer<typeof skillEntry>;

export const agentSkills = z.object({
  agentId: z.string(),
  name: z.string(),
  /** From the agent's template's packs. */
  fromTemplate: z.array(z.string()),
  /** An admin's additions and removals for this agent. */
  added: z.array(z.string()),
  removed: z.array(z.string()),
  /** What the agent is offered: (template ∪ added − removed) ∩ the team's effective skills. */
  effective: z.array(z.string()),
});
export type AgentSkills = z.infer<typeof agentSkills>;

/** When a policy change reaches the gateway: now (hot-reloaded), or at its next start (it is stopped). */
export const SKILL_APPLY_STATES = ["live", "next-start"] as const;

export const skillsList = z.object({
  skills: z.array(skillEntry),
  agents: z.array(agentSkills),
  /** When the runtime was last asked; null before the first read. */
  inventoryAt: z.iso.datetime().nullable(),
  /** Set when the list is not fresh from the runtime (stopped, unreachable). */
  note: z.string().nullable(),
  applied: z.enum(SKILL_APPLY_STATES),
});
export type SkillsList = z.infer<typeof skillsList>;

export const skillPolicyPatch = z
  .object({ name: skillName, allowed: z.boolean().optional(), enabled: z.boolean().optional(), hidden: z.boolean().optional() })
  .strict();
export const updateSkillPolicyInput = z.object({ policies: z.array(skillPolicyPatch).min(1).max(200) });
export type UpdateSkillPolicyInput = z.infer<typeof updateSkillPolicyInput>;

export const updateAgentSkillsInput = z.object({
  agentId: z.string().min(1).max(64),
  /** include: true adds the skill to this agent, false removes it, null goes back to its template. */
  skills: z
    .array(z.object({ name: skillName, include: z.boolean().nullable() }))
    .min(1)
    .max(200),
});

export const applyPackInput = z.object({ pack: z.string().min(1).max(64), agentId: z.string().min(1).max(64).optional() });

export const skillPack = z.object({
  id: z.string(),
  name: z.string(),
  description: z.string(),
  /** Whether the team's plan includes the pack. */
  allowedByPlan: z.boolean(),
  skills: z.array(z.object({ name: z.string(), eligible: z.boolean(), allowed: z.boolean(), effective: z.boolean(), known: z.boolean() })),
});
export type SkillPack = z.infer<typeof skillPack>;

export const SKILL_FIX_KINDS = ["env", "bin", "os", "config", "policy", "platform", "unknown"] as const;
export const skillDiagnosis = z.object({
  name: z.string(),
  eligible: z.boolean(),
  effective: z.boolean(),
  missing: skillMissing,
  fixes: z.array(
    z.object({
      kind: z.enum(SKILL_FIX_KINDS),
      description: z.string(),
      /** Can the team fix it itself (here: `skills.configure`, a switch)? */
      fixable: z.boolean(),
      /** For env fixes: the variable to set. */
      env: z.string().optional(),
    }),
  ),
});
export type SkillDiagnosis = z.infer<typeof skillDiagnosis>;

/** An environment variable's name, as a skill's requirements spell them. */
export const envName = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Z][A-Z0-9_]*$/, "An environment variable is upper-case letters, digits and underscores");
export const configureSkillInput = z.object({
  name: skillName,
  /** A value sets the variable (stored encrypted, never returned); null removes it. */
  env: z
    .record(envName, z.string().min(1).max(4096).nullable())
    .refine((e) => Object.keys(e).length > 0 && Object.keys(e).length <= 20, "Give between 1 and 20 variables"),
});
export type ConfigureSkillInput = z.infer<typeof configureSkillInput>;
export const skillNameInput = z.object({ name: skillName });

/** One recorded change of the team's skill policy. */
export const skillPolicyChange = z.object({
  actor: z.string(),
  /** The person's name, or "API key" (null when the account is gone). */
  actorName: z.string().nullable(),
  change: z.record(z.string(), z.unknown()),
  at: z.iso.datetime(),
});

/** OpenClaw's own diagnostics of a tenant's runtime (security audit and doctor's read-only lint). */
export const runtimeCheck = z.object({
  checkedAt: z.iso.datetime(),
  findings: z.array(
    z.object({
      source: z.enum(["security-audit", "doctor"]),
      checkId: z.string(),
      severity: z.enum(["critical", "warn", "info"]),
      title: z.string(),
      detail: z.string(),
      remediation: z.string().nullable(),
    }),
  ),
  /** A check that could not run, with why. */
  errors: z.array(z.string()),
});
export type RuntimeCheck = z.infer<typeof runtimeCheck>;

/**
 * Skills never allowed in a hosted runtime, whatever a team sets: each needs access the platform
 * does not give a tenant (the host's shell and processes, a desktop, devices on a local network, the
 * gateway's own config, or installing code). Enforced in the generated config and the workspace.
 */
export const PLATFORM_DENIED_SKILLS: Record<string, string> = {
  tmux: "drives terminal sessions on the host",
  "coding-agent": "runs coding CLIs with a shell on the host",
  "python-debugpy": "attaches a debugger to host processes",
  "node-inspect-debugger": "attaches a debugger to host processes",
  "1password": "reads the host's password manager",
  "apple-notes": "needs a macOS desktop",
  "apple-reminders": "needs a macOS desktop",
  "bear-notes": "needs a macOS desktop",
  "things-mac": "needs a macOS desktop",
  peekaboo: "captures a macOS desktop",
  camsnap: "reads cameras on the local network",
  blucli: "controls devices on the local network",
  sonoscli: "controls devices on the local network",
  openhue: "controls devices on the local network",
  eightctl: "controls devices on the local network",
  "node-connect": "pairs devices with the gateway",
  "control-ui": "opens the gateway's control UI, which the platform keeps off",
  "configure-channel": "changes the gateway's config, which the platform owns",
  "add-model-provider": "changes the gateway's config, which the platform owns",
  "diagnose-gateway": "inspects and repairs the host's gateway install",
  "cloud-image-bake": "builds host images",
  healthcheck: "hardens the host machine",
  clawhub: "installs skills from a registry; the platform decides what a runtime has",
};
