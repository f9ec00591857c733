// Skills as a team sees them: the inventory its own OpenClaw reports (cached in D1 with its time),
// the team's policy over it, packs, diagnostics and the values a skill needs. Changes are applied
// to a running gateway at once (OpenClaw hot-reloads skill config) and recorded with who and when.
import { and, desc, eq } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import {
  PLATFORM_DENIED_SKILLS,
  SKILL_PACKS,
  type ConfigureSkillInput,
  type InventorySkill,
  type SkillDiagnosis,
  type SkillEntry,
  type SkillMissing,
  type SkillPack,
  type SkillSource,
  type SkillsList,
  type UpdateSkillPolicyInput,
} from "@autoclaw/shared";
import type { Db } from "../db/client";
import { agentSkillOverrides, skillInventories, skillPolicies, skillPolicyChanges, skillSecrets, user } from "../db/schema";
import { getAgentRow, listAgents } from "./agents";
import { type AuditBy, auditStatement } from "./audit";
import { encryptSecret } from "./crypto";
import type { EntitlementDeps } from "./entitlements";
import { DomainError } from "./errors";
import { recordedActorOf } from "./principals";
import { setAsideKey } from "./r2-keys";
import { refreshRuntimeConfig, rescanSkills, runtimeStatus, type RuntimeDeps } from "./runtime";
import {
  agentSkillSet,
  configuredEnvOf,
  deniedBecause,
  packsOf,
  policyOf,
  readPolicyState,
  secretContext,
  type PolicyState,
} from "./skill-policy";

export interface SkillsDeps extends EntitlementDeps {
  /** Undefined when this AutoClaw runs without tenant runtimes. */
  runtime: RuntimeDeps | undefined;
}

// ── The inventory ───────────────────────────────────────────────────────────────────────────────────

const SOURCES: Record<string, SkillSource> = {
  "openclaw-bundled": "bundled",
  "openclaw-extra": "extra",
  "openclaw-workspace": "workspace",
  "openclaw-custodian": "managed",
  "openclaw-managed": "managed",
};

interface OpenclawSkill {
  name: string;
  description?: string;
  emoji?: string;
  eligible: boolean;
  disabled?: boolean;
  source: string;
  primaryEnv?: string;
  homepage?: string;
  missing?: Partial<SkillMissing>;
}

const noneMissing = (m: SkillMissing) => Object.values(m).every((v) => v.length === 0);

/**
 * One agent's `openclaw skills list --json`. OpenClaw reports a skill the team switched off as not
 * eligible; eligibility here is whether it could run (nothing missing), whatever the switch.
 */
export function parseSkillsList(stdout: string, agentId: string | null): InventorySkill[] {
  const data = JSON.parse(stdout.slice(stdout.indexOf("{"))) as { skills?: OpenclawSkill[] };
  return (data.skills ?? []).map((s) => {
    const missing: SkillMissing = {
      bins: s.missing?.bins ?? [],
      anyBins: s.missing?.anyBins ?? [],
      env: s.missing?.env ?? [],
      config: s.missing?.config ?? [],
      os: s.missing?.os ?? [],
    };
    const source = SOURCES[s.source] ?? "managed";
    return {
      name: s.name,
      description: s.description ?? "",
      emoji: s.emoji ?? null,
      source,
      eligible: s.eligible || (!!s.disabled && noneMissing(missing)),
      missing,
      primaryEnv: s.primaryEnv ?? null,
      homepage: s.homepage ?? null,
      agents: source === "workspace" && agentId ? [agentId] : [],
    };
  });
}

/**
 * Several agents' lists as one: a workspace skill lists the agents that hold it, and is shown as
 * theirs even where it shadows a bundled skill of the same name (as OpenClaw resolves it for them).
 */
export function mergeInventories(lists: InventorySkill[][]): InventorySkill[] {
  const byName = new Map<string, InventorySkill>();
  for (const list of lists)
    for (const s of list) {
      const seen = byName.get(s.name);
      const agents = [...new Set([...(seen?.agents ?? []), ...s.agents])].sort();
      byName.set(s.name, seen && s.source !== "workspace" ? { ...seen, agents } : { ...s, agents });
    }
  return [...byName.values()].sort((a, b) => a.name.localeCompare(b.name));
}

const CLI_AT_ONCE = 3;

async function cachedInventory(db: Db, tenantId: string) {
  const [row] = await db.select().from(skillInventories).where(eq(skillInventories.tenantId, tenantId));
  return row;
}

/**
 * Asks the running gateway's OpenClaw what it has (each agent's view: their workspaces differ),
 * caches it, and sets aside the files of any workspace skill the team may not use.
 */
async function readInventory(deps: SkillsDeps, rt: RuntimeDeps, tenantId: string, rescan: boolean) {
  if (rescan) await rescanSkills(rt, tenantId);
  const agents = await listAgents(deps.db, tenantId);
  const ids = agents.length ? agents.map((a) => a.id) : [null];
  const lists: InventorySkill[][] = [];
  // A few CLI processes at a time: each is a Node process of its own on the tenant's runtime.
  for (let i = 0; i < ids.length; i += CLI_AT_ONCE)
    lists.push(
      ...(await Promise.all(
        ids.slice(i, i + CLI_AT_ONCE).map(async (agentId) => {
          const r = await rt.driver.cli(tenantId, ["skills", "list", "--json", ...(agentId ? ["--agent", agentId] : [])]);
          if (r.code !== 0)
            throw new DomainError("PRECONDITION_FAILED", `OpenClaw could not list its skills: ${r.stderr.trim().slice(-300)}`);
          return parseSkillsList(r.stdout, agentId);
        }),
      )),
    );
  const skills = mergeInventories(lists);
  const inventoryAt = new Date();
  await deps.db
    .insert(skillInventories)
    .values({ tenantId, skills, inventoryAt })
    .onConflictDoUpdate({ target: skillInventories.tenantId, set: { skills, inventoryAt } });
  await setAsideDisallowed(rt, tenantId, skills, await readPolicyState(deps, tenantId));
  return { skills, inventoryAt };
}

/**
 * A workspace skill the team may not use has no files in the workspace (OpenClaw's `enabled: false`
 * is not a shell boundary): each file is kept in R2 under `set-aside/`, then its folder leaves the
 * workspace (the runtime keeps it aside too). Nothing is deleted.
 */
async function setAsideDisallowed(rt: RuntimeDeps, tenantId: string, skills: InventorySkill[], state: PolicyState) {
  const folders = skills
    .filter((s) => s.source === "workspace" && deniedBecause(s.name, state.planPacks))
    .flatMap((s) => s.agents.map((agentId) => `${agentId}/skills/${s.name}`));
  if (!folders.length) return;
  const listing = await rt.driver.listFiles(tenantId);
  for (const folder of folders) {
    for (const f of listing.files.filter((x) => x.path.startsWith(`${folder}/`)))
      await rt.bucket.put(setAsideKey(tenantId, f.path), await rt.driver.readFile(tenantId, f.path));
    await rt.driver.setAside(tenantId, [folder]);
    console.log(`tenant ${tenantId}: set aside ${folder} (a skill the team may not use)`);
  }
}

// ── The list ────────────────────────────────────────────────────────────────────────────────────────

const iso = (d: Date | null | undefined) => d?.toISOString() ?? null;

function entryOf(s: InventorySkill, state: PolicyState): SkillEntry {
  const denied = deniedBecause(s.name, state.planPacks);
  const policy = policyOf(state, s.name);
  const enabled = policy?.enabled ?? true;
  return {
    ...s,
    allowed: !denied,
    deniedBecause: denied,
    enabled,
    hidden: policy?.hidden ?? false,
    effective: !denied && enabled,
    packs: packsOf(s.name),
    configuredEnv: configuredEnvOf(state, s.name),
    updatedAt: iso(policy?.updatedAt),
    updatedBy: policy?.updatedBy ?? null,
  };
}

async function view(
  deps: SkillsDeps,
  tenantId: string,
  inventory: { skills: InventorySkill[]; inventoryAt: Date | null },
  note: string | null,
  live: boolean,
): Promise<SkillsList> {
  const [state, agents] = await Promise.all([readPolicyState(deps, tenantId), listAgents(deps.db, tenantId)]);
  return {
    skills: inventory.skills.map((s) => entryOf(s, state)),
    agents: agents.map((a) => ({ agentId: a.id, name: a.name, ...agentSkillSet(state, a) })),
    inventoryAt: iso(inventory.inventoryAt),
    note,
    applied: live ? "live" : "next-start",
  };
}

/**
 * The team's skills: read from the running gateway when the cache predates its start, else from the
 * cache. A runtime that is not running is never started for this: the cache answers, with a note.
 */
export async function listSkills(
  deps: SkillsDeps,
  tenantId: string,
  /** rescan: make the gateway look at its skill folders first (an asked-for refresh); read: just ask it again. */
  opts: { refresh?: "rescan" | "read" } = {},
): Promise<SkillsList> {
  const cached = await cachedInventory(deps.db, tenantId);
  const fromCache = (note: string | null, live = false) =>
    view(deps, tenantId, { skills: cached?.skills ?? [], inventoryAt: cached?.inventoryAt ?? null }, note, live);
  if (!deps.runtime) return fromCache("This AutoClaw runs without tenant runtimes (TENANT_RUNTIME=direct): there is no OpenClaw to ask.");
  const status = await runtimeStatus(deps.runtime, tenantId);
  if (status.state !== "ready") {
    const when = cached ? "as it was last read" : "once it has run";
    return fromCache(`The runtime is ${status.state}: skills are shown ${when}. Changes apply when it next starts.`);
  }
  const stale = !cached || (status.startedAt !== null && cached.inventoryAt.getTime() < Date.parse(status.startedAt));
  if (!opts.refresh && !stale) return fromCache(null, true);
  try {
    // A refresh asked for makes the gateway look at its skill folders again; one after a start need not.
    return view(deps, tenantId, await readInventory(deps, deps.runtime, tenantId, opts.refresh === "rescan"), null, true);
  } catch (e) {
    return fromCache(`The runtime could not be asked (${e instanceof Error ? e.message : String(e)}); showing the last list.`, true);
  }
}

// ── Policy ──────────────────────────────────────────────────────────────────────────────────────────

/** Every name a policy may speak of: what the runtime reported, what packs name, and the platform's denylist. */
function knownNames(cached: { skills: InventorySkill[] } | undefined): Set<string> {
  return new Set([
    ...(cached?.skills ?? []).map((s) => s.name),
    ...Object.values(SKILL_PACKS).flatMap((p) => p.skills),
    ...Object.keys(PLATFORM_DENIED_SKILLS),
  ]);
}

function assertKnown(known: Set<string>, names: string[]) {
  const unknown = [...new Set(names.filter((n) => !known.has(n)))];
  if (unknown.length)
    throw new DomainError("BAD_REQUEST", `Unknown skill${unknown.length > 1 ? "s" : ""}: ${unknown.join(", ")}. Nothing was changed.`);
}

/**
 * The new policy to the running gateway (its config hot-reloads) and the list as it now stands. A
 * stopped runtime gets it at its next start; a gateway that refused it says so in the note.
 */
async function applied(deps: SkillsDeps, tenantId: string, reread = false): Promise<SkillsList> {
  let note: string | null = null;
  let live = false;
  if (deps.runtime) {
    try {
      live = await refreshRuntimeConfig(deps.runtime, tenantId);
    } catch (e) {
      note = `Saved, but the running gateway did not take it yet (${e instanceof Error ? e.message : String(e)}); it applies at the next start.`;
    }
  }
  // The change was a skills-config change: the gateway has looked at its skills again already.
  if (live && reread) return listSkills(deps, tenantId, { refresh: "read" });
  const list = await listSkills(deps, tenantId);
  return { ...list, applied: live ? "live" : "next-start", note: note ?? list.note };
}

/** The team's switches for one skill, written whole (the audit row says what the change was). */
const writePolicy = (db: Db, tenantId: string, name: string, values: { enabled: boolean; hidden: boolean }, actor: string, now: Date) =>
  db
    .insert(skillPolicies)
    .values({ tenantId, name, ...values, updatedBy: actor, updatedAt: now })
    .onConflictDoUpdate({ target: [skillPolicies.tenantId, skillPolicies.name], set: { ...values, updatedBy: actor, updatedAt: now } });

/** One agent's addition (true) or removal (false) of a skill; null goes back to its template's. */
function writeOverride(db: Db, tenantId: string, agentId: string, name: string, include: boolean | null, actor: string, now: Date) {
  const t = agentSkillOverrides;
  if (include === null) return db.delete(t).where(and(eq(t.tenantId, tenantId), eq(t.agentId, agentId), eq(t.name, name)));
  return db
    .insert(t)
    .values({ tenantId, agentId, name, include, updatedBy: actor, updatedAt: now })
    .onConflictDoUpdate({ target: [t.tenantId, t.agentId, t.name], set: { include, updatedBy: actor, updatedAt: now } });
}

type Batch = [BatchItem<"sqlite">, ...BatchItem<"sqlite">[]];
/** Writes of several tables in one batch (D1 runs a batch as one transaction): all or nothing. */
const batchAll = (db: Db, writes: BatchItem<"sqlite">[]) => db.batch(writes as Batch);

export async function updateSkillPolicy(deps: SkillsDeps, tenantId: string, by: AuditBy, input: UpdateSkillPolicyInput) {
  const actor = recordedActorOf(by);
  const withAllowed = input.policies.filter((p) => p.allowed !== undefined).map((p) => p.name);
  if (withAllowed.length)
    throw new DomainError(
      "FORBIDDEN",
      `Whether a skill is allowed is set by the platform and your plan, not by the team (${withAllowed.join(", ")}). Nothing was changed.`,
    );
  assertKnown(
    knownNames(await cachedInventory(deps.db, tenantId)),
    input.policies.map((p) => p.name),
  );
  const state = await readPolicyState(deps, tenantId);
  const refused = input.policies.filter((p) => p.enabled && deniedBecause(p.name, state.planPacks));
  if (refused.length)
    throw new DomainError(
      "BAD_REQUEST",
      `${refused.map((p) => `${p.name} cannot be enabled: ${deniedBecause(p.name, state.planPacks)}`).join("; ")}. Nothing was changed.`,
    );
  const now = new Date();
  // Several patches of one skill in a batch: the last one counts for each field.
  const merged = new Map<string, { enabled?: boolean; hidden?: boolean }>();
  for (const p of input.policies) merged.set(p.name, { ...merged.get(p.name), ...definedOf(p) });
  const writes = [...merged].flatMap(([name, patch]): BatchItem<"sqlite">[] => {
    const current = policyOf(state, name);
    const values = { enabled: patch.enabled ?? current?.enabled ?? true, hidden: patch.hidden ?? current?.hidden ?? false };
    return [
      writePolicy(deps.db, tenantId, name, values, actor, now),
      deps.db.insert(skillPolicyChanges).values({ tenantId, actor, change: { kind: "policy", name, ...patch }, createdAt: now }),
    ];
  });
  const changes = [...merged].map(
    ([name, patch]) =>
      `${name}: ${Object.entries(patch)
        .map(([k, v]) => `${k}=${v}`)
        .join(" ")}`,
  );
  writes.push(
    auditStatement(deps.db, tenantId, by, { action: "skills.policy_changed", metadata: { changes: changes.join("; ") } }, "always"),
  );
  await batchAll(deps.db, writes);
  return applied(deps, tenantId);
}

const definedOf = (p: { enabled?: boolean; hidden?: boolean }) =>
  Object.fromEntries(Object.entries({ enabled: p.enabled, hidden: p.hidden }).filter(([, v]) => v !== undefined));

/** An admin's additions to and removals from one agent's skills (null: back to its template's). */
export async function updateAgentSkills(
  deps: SkillsDeps,
  tenantId: string,
  by: AuditBy,
  input: { agentId: string; skills: { name: string; include: boolean | null }[] },
) {
  const actor = recordedActorOf(by);
  const agent = await getAgentRow(deps.db, tenantId, input.agentId); // NOT_FOUND for another team's agent
  assertKnown(
    knownNames(await cachedInventory(deps.db, tenantId)),
    input.skills.map((s) => s.name),
  );
  const now = new Date();
  const writes = input.skills.flatMap(({ name, include }): BatchItem<"sqlite">[] => [
    writeOverride(deps.db, tenantId, input.agentId, name, include, actor, now),
    deps.db
      .insert(skillPolicyChanges)
      .values({ tenantId, actor, change: { kind: "agent", agentId: input.agentId, name, include }, createdAt: now }),
  ]);
  const word = (include: boolean | null) => (include === null ? "as template" : include ? "added" : "removed");
  writes.push(
    auditStatement(
      deps.db,
      tenantId,
      by,
      {
        action: "skills.agent_changed",
        target: { kind: "agent", id: agent.id, label: agent.name },
        metadata: { changes: input.skills.map((x) => `${x.name}: ${word(x.include)}`).join("; ") },
      },
      "always",
    ),
  );
  await batchAll(deps.db, writes);
  return applied(deps, tenantId);
}

// ── Packs ───────────────────────────────────────────────────────────────────────────────────────────

export async function listPacks(deps: SkillsDeps, tenantId: string): Promise<SkillPack[]> {
  const [state, cached] = await Promise.all([readPolicyState(deps, tenantId), cachedInventory(deps.db, tenantId)]);
  return Object.entries(SKILL_PACKS).map(([id, p]) => ({
    id,
    name: p.name,
    description: p.description,
    allowedByPlan: !state.planPacks || state.planPacks.includes(id),
    skills: p.skills.map((name) => {
      const s = cached?.skills.find((x) => x.name === name);
      const allowed = !deniedBecause(name, state.planPacks);
      return { name, known: !!s, eligible: s?.eligible ?? false, allowed, effective: allowed && policyOf(state, name)?.enabled !== false };
    }),
  }));
}

/** Switches a pack's allowed skills on for the team, and with `agentId` adds them to that agent too. */
export async function applyPack(deps: SkillsDeps, tenantId: string, by: AuditBy, input: { pack: string; agentId?: string }) {
  const actor = recordedActorOf(by);
  const pack = SKILL_PACKS[input.pack];
  if (!pack) throw new DomainError("BAD_REQUEST", `Unknown pack "${input.pack}". Nothing was changed.`);
  const state = await readPolicyState(deps, tenantId);
  if (state.planPacks && !state.planPacks.includes(input.pack))
    throw new DomainError("FORBIDDEN", `Your plan does not include the ${pack.name} pack`);
  if (input.agentId) await getAgentRow(deps.db, tenantId, input.agentId);
  const names = pack.skills.filter((n) => !deniedBecause(n, state.planPacks));
  const now = new Date();
  const writes = names.flatMap((name): BatchItem<"sqlite">[] => [
    writePolicy(deps.db, tenantId, name, { enabled: true, hidden: policyOf(state, name)?.hidden ?? false }, actor, now),
    ...(input.agentId ? [writeOverride(deps.db, tenantId, input.agentId, name, true, actor, now)] : []),
  ]);
  writes.push(
    deps.db.insert(skillPolicyChanges).values({
      tenantId,
      actor,
      change: { kind: "pack", pack: input.pack, agentId: input.agentId ?? null, skills: names },
      createdAt: now,
    }),
    auditStatement(
      deps.db,
      tenantId,
      by,
      {
        action: "skills.pack_applied",
        target: { kind: "pack", id: input.pack, label: pack.name },
        metadata: { agentId: input.agentId ?? null, skills: names.join(",") },
      },
      "always",
    ),
  );
  await batchAll(deps.db, writes);
  return applied(deps, tenantId);
}

// ── Diagnostics and the values a skill needs ────────────────────────────────────────────────────────

export async function diagnoseSkill(deps: SkillsDeps, tenantId: string, name: string): Promise<SkillDiagnosis> {
  const [state, cached] = await Promise.all([readPolicyState(deps, tenantId), cachedInventory(deps.db, tenantId)]);
  const s = cached?.skills.find((x) => x.name === name);
  if (!s) {
    if (!knownNames(cached).has(name)) throw new DomainError("NOT_FOUND", `No skill "${name}" in this team's runtime`);
    const empty = { bins: [], anyBins: [], env: [], config: [], os: [] };
    return {
      name,
      eligible: false,
      effective: false,
      missing: empty,
      fixes: [
        {
          kind: "unknown",
          fixable: false,
          description: cached
            ? `This runtime's OpenClaw does not have "${name}".`
            : "The runtime has not been asked yet: start it (or run an agent), then refresh.",
        },
      ],
    };
  }
  const e = entryOf(s, state);
  const fixes: SkillDiagnosis["fixes"] = [];
  if (e.deniedBecause) fixes.push({ kind: "platform", fixable: false, description: e.deniedBecause });
  else if (!e.enabled) fixes.push({ kind: "policy", fixable: true, description: "The team switched it off: turn it on." });
  for (const env of s.missing.env)
    fixes.push({
      kind: "env",
      env,
      fixable: !e.deniedBecause,
      description: e.configuredEnv.includes(env)
        ? `${env} is set; refresh the list to see OpenClaw take it.`
        : `Set ${env} (stored encrypted, handed only to your runtime).`,
    });
  for (const bin of s.missing.bins)
    fixes.push({
      kind: "bin",
      fixable: false,
      description: `Needs the program "${bin}", which the hosted runtime does not ship. A team cannot add it.`,
    });
  if (s.missing.anyBins.length)
    fixes.push({
      kind: "bin",
      fixable: false,
      description: `Needs one of ${s.missing.anyBins.map((b) => `"${b}"`).join(", ")}; the hosted runtime ships none of them. A team cannot add them.`,
    });
  if (s.missing.os.length)
    fixes.push({ kind: "os", fixable: false, description: `Runs only on ${s.missing.os.join(" or ")}; hosted runtimes run Linux.` });
  for (const c of s.missing.config)
    fixes.push({
      kind: "config",
      fixable: false,
      description: `Needs the config value ${c}, which the platform sets for hosted runtimes.`,
    });
  return { name, eligible: s.eligible, effective: e.effective, missing: s.missing, fixes };
}

/**
 * Sets (or with null removes) a skill's environment values: sealed in D1, handed to the runtime as
 * variables its config references, never returned, logged or written to the workspace. A value is
 * accepted only for a variable the skill asks for.
 */
export async function configureSkill(deps: SkillsDeps, tenantId: string, by: AuditBy, input: ConfigureSkillInput) {
  const actor = recordedActorOf(by);
  const cached = await cachedInventory(deps.db, tenantId);
  const s = cached?.skills.find((x) => x.name === input.name);
  if (!s)
    throw new DomainError("BAD_REQUEST", `Unknown skill "${input.name}" (refresh the list once the runtime has run). Nothing was changed.`);
  const state = await readPolicyState(deps, tenantId);
  const denied = deniedBecause(s.name, state.planPacks);
  if (denied) throw new DomainError("BAD_REQUEST", `${s.name} cannot be configured: ${denied}. Nothing was changed.`);
  const wanted = new Set([...s.missing.env, ...(s.primaryEnv ? [s.primaryEnv] : []), ...configuredEnvOf(state, s.name)]);
  const foreign = Object.keys(input.env).filter((k) => !wanted.has(k));
  if (foreign.length)
    throw new DomainError(
      "BAD_REQUEST",
      `${s.name} does not use ${foreign.join(", ")}${wanted.size ? ` (it uses ${[...wanted].sort().join(", ")})` : ""}. Nothing was changed.`,
    );
  const now = new Date();
  const writes: BatchItem<"sqlite">[] = [];
  for (const [envName, value] of Object.entries(input.env)) {
    const key = and(eq(skillSecrets.tenantId, tenantId), eq(skillSecrets.name, s.name), eq(skillSecrets.envName, envName));
    if (value === null) writes.push(deps.db.delete(skillSecrets).where(key));
    else {
      const ciphertext = await encryptSecret(deps.settings.ENCRYPTION_KEY, value, secretContext(tenantId, s.name, envName));
      writes.push(
        deps.db
          .insert(skillSecrets)
          .values({ tenantId, name: s.name, envName, ciphertext, updatedBy: actor, updatedAt: now })
          .onConflictDoUpdate({
            target: [skillSecrets.tenantId, skillSecrets.name, skillSecrets.envName],
            set: { ciphertext, updatedBy: actor, updatedAt: now },
          }),
      );
    }
  }
  const change = {
    kind: "env",
    name: s.name,
    set: Object.keys(input.env).filter((k) => input.env[k] !== null),
    removed: Object.keys(input.env).filter((k) => input.env[k] === null),
  };
  writes.push(deps.db.insert(skillPolicyChanges).values({ tenantId, actor, change, createdAt: now }));
  // The variables' names, never their values.
  writes.push(
    auditStatement(
      deps.db,
      tenantId,
      by,
      {
        action: "skills.configured",
        target: { kind: "skill", id: s.name, label: s.name },
        metadata: { set: change.set.join(","), removed: change.removed.join(",") },
      },
      "always",
    ),
  );
  await batchAll(deps.db, writes);
  // OpenClaw re-checks eligibility with the new values: the list is read again from the gateway.
  const list = await applied(deps, tenantId, true);
  return list.skills.find((x) => x.name === s.name)!;
}

/** The team's recent policy changes, newest first. */
export async function policyChanges(db: Db, tenantId: string, limit = 50) {
  const rows = await db
    .select({ actor: skillPolicyChanges.actor, change: skillPolicyChanges.change, at: skillPolicyChanges.createdAt, name: user.name })
    .from(skillPolicyChanges)
    .leftJoin(user, eq(user.id, skillPolicyChanges.actor))
    .where(eq(skillPolicyChanges.tenantId, tenantId))
    .orderBy(desc(skillPolicyChanges.id))
    .limit(limit);
  return rows.map((r) => ({
    actor: r.actor,
    actorName: r.actor.startsWith("apikey:") ? "API key" : r.name,
    change: r.change,
    at: r.at.toISOString(),
  }));
}
