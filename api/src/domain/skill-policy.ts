// A team's skill policy and what it makes of an agent's skills: allowed (the platform's denylist and
// the plan's packs), enabled and hidden (the team's switches), per-agent additions and removals, and
// the part of the OpenClaw config that enforces it. The runtime module builds its config from here;
// the skills module (inventory, diagnostics) builds on it too.
import { eq, type SQL } from "drizzle-orm";
import { PLANS, PLATFORM_DENIED_SKILLS, SKILL_PACKS, skillsForTemplate } from "@autoclaw/shared";
import { skillEnvVar, type SkillConfigEntry } from "@autoclaw/runtime-protocol";
import type { Settings } from "../config";
import type { Db } from "../db/client";
import { agentSkillOverrides, skillPolicies, skillSecrets } from "../db/schema";
import { decryptSecret } from "./crypto";
import { planSkillPacks, type EntitlementDeps } from "./entitlements";

export type PolicyRow = typeof skillPolicies.$inferSelect;
export type OverrideRow = typeof agentSkillOverrides.$inferSelect;
export type SecretRow = typeof skillSecrets.$inferSelect;

/** A team's policy rows; `tenant` is the id or a subquery for it (a run's claim reads them in its batch). */
export function policyReads(db: Db, tenant: string | SQL) {
  return [
    db.select().from(skillPolicies).where(eq(skillPolicies.tenantId, tenant)),
    db.select().from(agentSkillOverrides).where(eq(agentSkillOverrides.tenantId, tenant)),
    db.select().from(skillSecrets).where(eq(skillSecrets.tenantId, tenant)),
  ] as const;
}
export interface PolicyState {
  policies: PolicyRow[];
  overrides: OverrideRow[];
  secrets: SecretRow[];
  /** The plan's packs (null: every pack). */
  planPacks: string[] | null;
}

/** The packs a skill belongs to. */
export const packsOf = (name: string) => Object.keys(SKILL_PACKS).filter((p) => SKILL_PACKS[p]!.skills.includes(name));

/** Why a team may not use this skill at all, or null when it may. */
export function deniedBecause(name: string, planPacks: string[] | null): string | null {
  const platform = PLATFORM_DENIED_SKILLS[name];
  if (platform) return `Not available in hosted runtimes: it ${platform}`;
  const packs = packsOf(name);
  if (planPacks && packs.length && !packs.some((p) => planPacks.includes(p)))
    return `Your plan does not include the ${packs.map((p) => SKILL_PACKS[p]!.name).join(" or ")} pack`;
  return null;
}

/** Reads the plan only when some plan restricts packs (none does today): no query on a run's path for nothing. */
const PLANS_RESTRICT_PACKS = Object.values(PLANS).some((p) => p.skillPacks !== null);
export const planPacksOf = (deps: EntitlementDeps, tenantId: string) =>
  PLANS_RESTRICT_PACKS ? planSkillPacks(deps, tenantId) : Promise.resolve(null);

export async function readPolicyState(deps: EntitlementDeps, tenantId: string): Promise<PolicyState> {
  const [policies, overrides, secrets] = await deps.db.batch(policyReads(deps.db, tenantId));
  return { policies, overrides, secrets, planPacks: await planPacksOf(deps, tenantId) };
}

export const policyOf = (state: PolicyState, name: string) => state.policies.find((p) => p.name === name);

/** Allowed and switched on: what an agent may be offered. */
export const isEffective = (state: PolicyState, name: string) =>
  !deniedBecause(name, state.planPacks) && policyOf(state, name)?.enabled !== false;

/** One agent's skills: its template's, with an admin's additions and removals, narrowed to the team's effective ones. */
export function agentSkillSet(state: PolicyState, agent: { id: string; templateId: string }) {
  const fromTemplate = skillsForTemplate(agent.templateId) ?? [];
  const mine = state.overrides.filter((o) => o.agentId === agent.id);
  const added = mine.filter((o) => o.include).map((o) => o.name);
  const removed = mine.filter((o) => !o.include).map((o) => o.name);
  const effective = [...new Set([...fromTemplate, ...added])].filter((n) => !removed.includes(n) && isEffective(state, n)).sort();
  return { fromTemplate, added: added.sort(), removed: removed.sort(), effective };
}

/**
 * `skills.entries` of the config: every skill the team may not use, or switched off, is disabled;
 * a configured skill's environment is a reference to a runtime variable (`env` holds the sealed
 * values; `values` opens them for a driver). The platform's denylist is in every config.
 */
export function skillsConfig(state: PolicyState) {
  const entries: Record<string, SkillConfigEntry> = {};
  const off = new Set([
    ...Object.keys(PLATFORM_DENIED_SKILLS),
    ...Object.values(SKILL_PACKS)
      .flatMap((p) => p.skills)
      .filter((n) => deniedBecause(n, state.planPacks)),
    ...state.policies.filter((p) => !p.enabled).map((p) => p.name),
  ]);
  for (const name of [...off].sort()) entries[name] = { enabled: false };
  for (const s of state.secrets) {
    if (off.has(s.name)) continue; // a skill that is off gets none of its secrets
    const entry = entries[s.name] ?? {};
    entry.env = { ...entry.env, [s.envName]: `\${${skillEnvVar(s.name, s.envName)}}` };
    entries[s.name] = entry;
  }
  const sealed = state.secrets.filter((s) => !off.has(s.name));
  return { entries, sealed };
}

export const secretContext = (tenantId: string, name: string, env: string) => `skill-secret:${tenantId}:${name}:${env}`;

/** The runtime variables a config's skill references name, opened for the driver (never stored or logged). */
export async function skillEnvValues(settings: Settings, tenantId: string, sealed: SecretRow[]): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const s of sealed)
    out[skillEnvVar(s.name, s.envName)] = await decryptSecret(
      settings.ENCRYPTION_KEY,
      s.ciphertext,
      secretContext(tenantId, s.name, s.envName),
    );
  return out;
}

/** The names of the variables set for one skill. */
export const configuredEnvOf = (state: PolicyState, name: string) =>
  state.secrets
    .filter((s) => s.name === name)
    .map((s) => s.envName)
    .sort();

/** The names a chat user is shown for one agent: its effective skills the team has not hidden. */
export async function chatVisibleSkills(deps: EntitlementDeps, tenantId: string, agent: { id: string; templateId: string }) {
  const state = await readPolicyState(deps, tenantId);
  return agentSkillSet(state, agent).effective.filter((n) => !policyOf(state, n)?.hidden);
}
