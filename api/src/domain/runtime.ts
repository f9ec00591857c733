// A tenant's OpenClaw runtime: the state machine in D1, coalesced starts fenced by a generation, the
// per-start model token, the generated config, and the workspace handed between R2 and the runtime.
//
// The rule for secrets: what D1 says the runtime's secrets are is what the running gateway has. Every
// start claims the next generation in one conditional update; the driver resolves only once a
// gateway runs with that generation's secrets (starting one, or giving a running one the new ones);
// every later write is conditional on the generation, so a start that was overtaken changes nothing.
import { and, asc, eq, inArray, isNull, lt, or, sql, type SQL } from "drizzle-orm";
import type { Agent, RuntimeStatus } from "@autoclaw/shared";
import type { Settings } from "../config";
import type { Db } from "../db/client";
import { agents as agentsTable, tenantOpenclawRuntime } from "../db/schema";
import { MODEL_TOKEN_ENV, OPENCLAW_VERSION, tenantOpenclawConfig } from "@autoclaw/runtime-protocol";
import type { DriverStatus } from "@autoclaw/runtime-protocol";
import { IDLE_STOP_MS, type RuntimeDriver } from "../drivers/driver";
import { listAgents, toAgent } from "./agents";
import { type AuditBy, auditStatement, byPlatform } from "./audit";
import { base64url, hmacSign, newId, randomBytes, sha256 } from "./crypto";
import { assertEntitled } from "./entitlements";
import { DomainError } from "./errors";
import { stateKey } from "./r2-keys";
import { agentSkillSet, planPacksOf, policyReads, readPolicyState, skillEnvValues, skillsConfig, type PolicyState } from "./skill-policy";
import { agentsIn, listLiveCandidate, markerFile, mirrorWorkspace, savedWorkspace } from "./workspace";

export interface RuntimeDeps {
  db: Db;
  settings: Settings;
  bucket: R2Bucket;
  driver: RuntimeDriver;
}

/** A start may take this long before another caller may take it over. */
const START_LEASE_MS = 120_000;
/** A status probe that fails is asked again after these pauses before anything is concluded from it. */
const PROBE_RETRIES_MS = [250, 1000];

export type RuntimeRow = typeof tenantOpenclawRuntime.$inferSelect;
const iso = (d: Date | null) => d?.toISOString() ?? null;
const toStatus = (r: RuntimeRow | undefined): RuntimeStatus =>
  r
    ? { state: r.state, version: r.version, startedAt: iso(r.startedAt), lastActiveAt: iso(r.lastActiveAt), lastError: r.lastError }
    : { state: "stopped", version: OPENCLAW_VERSION, startedAt: null, lastActiveAt: null, lastError: null };
const messageOf = (e: unknown) => (e instanceof Error ? e.message : String(e));

async function row(db: Db, tenantId: string) {
  const [r] = await db.select().from(tenantOpenclawRuntime).where(eq(tenantOpenclawRuntime.tenantId, tenantId));
  return r;
}
const atGeneration = (tenantId: string, generation: number) =>
  and(eq(tenantOpenclawRuntime.tenantId, tenantId), eq(tenantOpenclawRuntime.generation, generation));

/** The driver's view, asked again when a probe fails; undefined if it never answered (no evidence either way). */
async function probe(driver: RuntimeDriver, tenantId: string): Promise<DriverStatus | undefined> {
  for (const pause of [0, ...PROBE_RETRIES_MS]) {
    if (pause) await new Promise((r) => setTimeout(r, pause));
    try {
      return await driver.status(tenantId);
    } catch {
      /* asked again */
    }
  }
  return undefined;
}

/**
 * The D1 state, reconciled with what the driver reports (the host stops idle gateways on its own).
 * It moves only on evidence: a gateway reported stopped, failed, or running another generation's
 * secrets. A driver that does not answer changes nothing.
 */
export async function runtimeStatus(deps: RuntimeDeps, tenantId: string): Promise<RuntimeStatus> {
  const r = await row(deps.db, tenantId);
  if (r?.state !== "ready") return toStatus(r);
  const live = await probe(deps.driver, tenantId);
  if (!live || live.state === "starting") return toStatus(r); // a crashed gateway being restarted keeps its generation
  if (live.state === "ready" && live.generation === r.generation) return toStatus(r);
  const reason =
    live.state === "ready"
      ? `The gateway runs start ${live.generation}'s secrets, not start ${r.generation}'s`
      : (live.lastError ?? r.lastError ?? "The gateway stopped");
  if (live.state === "error")
    await deps.db
      .update(tenantOpenclawRuntime)
      .set({ state: "error", lastError: reason, modelTokenHash: null, updatedAt: new Date() })
      .where(and(atGeneration(tenantId, r.generation), eq(tenantOpenclawRuntime.state, "ready")));
  else await markRuntimeGone(deps.db, tenantId, r.generation, reason);
  return toStatus(await row(deps.db, tenantId));
}

/**
 * The generated config for the tenant's current agents and skill policy, the sealed skill secrets it
 * references, and a hash of both (a changed secret changes the hash without being opened).
 */
async function configFor(deps: RuntimeDeps, tenantId: string, skillsRescan: number, agents?: Agent[], state?: PolicyState) {
  agents ??= await listAgents(deps.db, tenantId);
  state ??= await readPolicyState(deps, tenantId);
  const proxy = deps.settings.MODEL_PROXY_URL ?? new URL("/api/model/v1", deps.settings.APP_URL).toString();
  const skills = skillsConfig(state);
  const config = tenantOpenclawConfig({
    agents: agents.map((a) => ({ id: a.id, name: a.name, model: a.model, skills: agentSkillSet(state, a).effective })),
    modelProxyUrl: proxy,
    skills: skills.entries,
    skillsRescan,
    restrictTools: !deps.driver.isolated,
  });
  const hash = await sha256(JSON.stringify([config, skills.sealed.map((s) => s.ciphertext)]));
  return { config, sealed: skills.sealed, hash };
}

/**
 * What the ready check reads: the runtime's row and the agents its config is made from. `tenant` is
 * the id or a subquery for it, so a run's claim can carry these reads in its own batch.
 */
export function readinessReads(db: Db, tenant: string | SQL) {
  return [
    db.select().from(tenantOpenclawRuntime).where(eq(tenantOpenclawRuntime.tenantId, tenant)),
    db
      .select()
      .from(agentsTable)
      .where(and(eq(agentsTable.tenantId, tenant), isNull(agentsTable.deletedAt)))
      .orderBy(asc(agentsTable.createdAt)),
    ...policyReads(db, tenant),
  ] as const;
}
export type Readiness = [
  RuntimeRow[],
  (typeof agentsTable.$inferSelect)[],
  PolicyState["policies"],
  PolicyState["overrides"],
  PolicyState["secrets"],
];

/**
 * Makes sure the tenant's gateway is running and knows its current agents; resolves with the ready
 * row (its generation and live workspace id). Concurrent callers coalesce: one claims the start in
 * D1, the others wait for its outcome.
 */
export async function ensureRuntimeReady(
  deps: RuntimeDeps,
  tenantId: string,
  onStarting?: () => Promise<void>,
  read?: Readiness,
  /** How the start is recorded if this call makes it (null: not at all, a restart recorded its stop). */
  audit: RuntimeAudit | null = PLATFORM_START,
): Promise<RuntimeRow> {
  const { db } = deps;
  // The hot path costs no D1 round trip of its own when the run's claim brought the reads along.
  // D1 is trusted here; a gateway that vanished anyway is caught by the caller (markRuntimeGone).
  const [current, agentRows, policies, overrides, secrets] = read ?? (await db.batch(readinessReads(db, tenantId)));
  // A runtime started before workspaces had markers (no workspace id) goes through one start to get one.
  if (current[0]?.state === "ready" && current[0].workspaceId) {
    const state = { policies, overrides, secrets, planPacks: await planPacksOf(deps, tenantId) };
    await refreshRuntimeConfig(deps, tenantId, current[0], agentRows.map(toAgent), state);
    return current[0];
  }
  await onStarting?.();
  const now = new Date();
  await db
    .insert(tenantOpenclawRuntime)
    .values({ tenantId, state: "stopped", version: OPENCLAW_VERSION, updatedAt: now })
    .onConflictDoNothing();
  const [claimed] = await db
    .update(tenantOpenclawRuntime)
    .set({
      state: "starting",
      generation: sql`${tenantOpenclawRuntime.generation} + 1`,
      startingUntil: new Date(now.getTime() + START_LEASE_MS),
      lastError: null,
      updatedAt: now,
    })
    .where(
      and(
        eq(tenantOpenclawRuntime.tenantId, tenantId),
        or(
          inArray(tenantOpenclawRuntime.state, ["stopped", "error", "ready"]),
          lt(tenantOpenclawRuntime.startingUntil, now),
          isNull(tenantOpenclawRuntime.startingUntil),
        ),
      ),
    )
    .returning();
  if (!claimed) return waitForStart(deps, tenantId);
  return startClaimed(deps, tenantId, claimed, audit);
}

/** Who started or stopped a runtime, as the audit log records it. */
export interface RuntimeAudit {
  by: AuditBy;
  action: "runtime.started" | "runtime.stopped" | "runtime.restarted";
  reason?: string;
}
/** A start a run needed (a stopped runtime is started by the platform for the turn). */
const PLATFORM_START: RuntimeAudit = { by: byPlatform, action: "runtime.started", reason: "a run needed it" };
const runtimeEntry = (db: Db, tenantId: string, audit: RuntimeAudit, generation?: number) =>
  auditStatement(db, tenantId, audit.by, {
    action: audit.action,
    target: { kind: "runtime", id: tenantId, label: "OpenClaw runtime" },
    metadata: { ...(generation !== undefined && { generation }), ...(audit.reason && { reason: audit.reason }) },
  });

async function startClaimed(deps: RuntimeDeps, tenantId: string, claimed: RuntimeRow, audit: RuntimeAudit | null): Promise<RuntimeRow> {
  const { db } = deps;
  const generation = claimed.generation;
  // A fresh model token for every start: the one a stopped runtime had stops working.
  const token = `rt_${base64url(randomBytes(32))}`;
  const { config, sealed, hash } = await configFor(deps, tenantId, claimed.skillsRescan);
  await db
    .update(tenantOpenclawRuntime)
    .set({ modelTokenHash: await sha256(token), configHash: hash, version: OPENCLAW_VERSION })
    .where(atGeneration(tenantId, generation));
  // The workspace is read from R2 while the gateway starts, and written into it once it runs.
  const saved = savedWorkspace(deps.bucket, tenantId);
  saved.catch(() => undefined); // a failed start is reported below, not as an unhandled read
  try {
    if (deps.driver.restoreState) {
      const state = await deps.bucket.get(stateKey(tenantId));
      if (state) await deps.driver.restoreState(tenantId, new Uint8Array(await state.arrayBuffer()));
    }
    const skillEnv = await skillEnvValues(deps.settings, tenantId, sealed);
    await deps.driver.start(tenantId, { generation, config, env: { ...skillEnv, [MODEL_TOKEN_ENV]: token } });
    const workspaceId = await prepareWorkspace(deps, tenantId, claimed.workspaceId, saved);
    const now = new Date();
    const ready = await readyAt(deps, tenantId, generation, { startedAt: now, lastActiveAt: now, workspaceId, updatedAt: now }, audit);
    // Overtaken by a newer start (this one outlived its lease): that one's outcome is the outcome.
    return ready ?? (await waitForStart(deps, tenantId));
  } catch (e) {
    const message = `Runtime failed to start: ${messageOf(e)}`.slice(0, 500);
    await db
      .update(tenantOpenclawRuntime)
      .set({ state: "error", lastError: message, startingUntil: null, modelTokenHash: null, updatedAt: new Date() })
      .where(and(atGeneration(tenantId, generation), eq(tenantOpenclawRuntime.state, "starting")));
    throw new DomainError("PRECONDITION_FAILED", message);
  }
}

/** The start's end: ready (and recorded) only if this generation's start still holds the claim. */
async function readyAt(
  deps: RuntimeDeps,
  tenantId: string,
  generation: number,
  set: { startedAt: Date; lastActiveAt: Date; workspaceId: string; updatedAt: Date },
  audit: RuntimeAudit | null,
): Promise<RuntimeRow | undefined> {
  const update = deps.db
    .update(tenantOpenclawRuntime)
    .set({ ...set, state: "ready", startingUntil: null, lastError: null })
    .where(and(atGeneration(tenantId, generation), eq(tenantOpenclawRuntime.state, "starting")))
    .returning();
  if (!audit) return (await update)[0];
  const [[ready]] = await deps.db.batch([update, runtimeEntry(deps.db, tenantId, audit, generation)]);
  return ready;
}

/**
 * Makes the runtime's workspace complete and returns its marker id. If it is the live workspace of
 * the last start (the gateway kept running, or restarted on the same disk), it may hold work R2 does
 * not have yet (a crash between a turn and its mirror): that is mirrored first, and only agents it
 * has no folder for are filled from R2. Anything else found there is moved aside, never mirrored,
 * and the workspace is restored from R2 under a new marker.
 */
async function prepareWorkspace(
  deps: RuntimeDeps,
  tenantId: string,
  liveId: string | null,
  saved: Promise<{ path: string; content: Uint8Array }[]>,
): Promise<string> {
  const found = await listLiveCandidate(deps.driver, tenantId);
  if (liveId && found?.workspaceId === liveId) {
    const onDisk = agentsIn(found);
    for (const agent of await listAgents(deps.db, tenantId)) {
      if (!onDisk.has(agent.id)) continue;
      await mirrorWorkspace(deps, tenantId, agent.id, { workspaceId: liveId, listing: found }).catch((e) =>
        console.error(`tenant ${tenantId}: mirroring ${agent.id} at the start failed:`, messageOf(e)),
      );
    }
    const missing = (await saved).filter((f) => !onDisk.has(f.path.split("/")[0]!));
    if (missing.length) await deps.driver.writeFiles(tenantId, missing);
    return liveId;
  }
  // Anything on the disk (but an empty folder) is kept aside, never mirrored.
  if (found && (found.files.length || found.workspaceId)) await deps.driver.supersedeWorkspace(tenantId);
  const workspaceId = newId("ws");
  // The marker last: a start that dies half way leaves a workspace that is not live.
  await deps.driver.writeFiles(tenantId, [...(await saved), markerFile(workspaceId)]);
  return workspaceId;
}

async function waitForStart(deps: RuntimeDeps, tenantId: string): Promise<RuntimeRow> {
  const deadline = Date.now() + START_LEASE_MS;
  while (Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 500));
    const r = await row(deps.db, tenantId);
    if (r?.state === "ready") return r;
    if (r?.state === "error") throw new DomainError("PRECONDITION_FAILED", r.lastError ?? "Runtime failed to start");
    if (r?.state === "stopped") return ensureRuntimeReady(deps, tenantId);
    // A start that outlived its lease is taken over (a crashed starter).
    if (r?.state === "starting" && r.startingUntil && r.startingUntil.getTime() < Date.now()) return ensureRuntimeReady(deps, tenantId);
  }
  throw new DomainError("PRECONDITION_FAILED", "The runtime is still starting; try again shortly");
}

/** The gateway of this generation is not there (idle-stopped, host restarted): record it so the next ensure starts it. */
export async function markRuntimeGone(db: Db, tenantId: string, generation: number, reason: string) {
  await db.batch([
    db
      .update(tenantOpenclawRuntime)
      .set({ state: "stopped", lastError: reason, modelTokenHash: null, configHash: null, updatedAt: new Date() })
      .where(and(atGeneration(tenantId, generation), eq(tenantOpenclawRuntime.state, "ready"))),
    runtimeEntry(db, tenantId, { by: byPlatform, action: "runtime.stopped", reason }, generation),
  ]);
}

/**
 * Does the running gateway hold other secrets than D1 (a failing turn's first suspect: OpenClaw
 * reports a model call the proxy refused as a plain 500)? Only a gateway that answers and reports
 * another generation, or another model token, counts; no answer is no evidence.
 */
export async function runsStaleSecrets(deps: RuntimeDeps, tenantId: string, live: RuntimeRow): Promise<boolean> {
  const now = await deps.driver.status(tenantId).catch(() => undefined);
  if (now?.state !== "ready") return false;
  return now.generation !== live.generation || (!!now.tokenHash && !!live.modelTokenHash && now.tokenHash !== live.modelTokenHash);
}

export async function stopRuntime(deps: RuntimeDeps, tenantId: string, audit: RuntimeAudit | null): Promise<RuntimeStatus> {
  const r = await row(deps.db, tenantId);
  const problems: string[] = [];
  // Mirrored only from the live workspace: a runtime that is not running, or whose disk went with its
  // container, has nothing to mirror (its turns were mirrored as they ended), and its R2 copy stays as it is.
  if (r?.workspaceId && r.state !== "stopped") {
    const found = await listLiveCandidate(deps.driver, tenantId).catch(() => undefined);
    if (found?.workspaceId === r.workspaceId) {
      const onDisk = agentsIn(found);
      for (const agent of await listAgents(deps.db, tenantId)) {
        if (!onDisk.has(agent.id)) continue;
        await mirrorWorkspace(deps, tenantId, agent.id, { workspaceId: r.workspaceId, listing: found }).catch((e) =>
          problems.push(`${agent.name}'s files: ${messageOf(e)}`),
        );
      }
    }
  }
  await deps.driver.stop(tenantId);
  if (deps.driver.saveState) {
    try {
      const state = await deps.driver.saveState(tenantId);
      if (state) await deps.bucket.put(stateKey(tenantId), state);
    } catch (e) {
      problems.push(`conversations: ${messageOf(e)}`);
    }
  }
  const lastError = problems.length ? `Not everything could be saved at the stop (${problems.join("; ")})`.slice(0, 500) : undefined;
  const stopped = deps.db
    .update(tenantOpenclawRuntime)
    .set({
      state: "stopped",
      modelTokenHash: null,
      configHash: null,
      startingUntil: null,
      updatedAt: new Date(),
      ...(lastError && { lastError }),
    })
    .where(eq(tenantOpenclawRuntime.tenantId, tenantId));
  if (audit) await deps.db.batch([stopped, runtimeEntry(deps.db, tenantId, audit, r?.generation)]);
  else await stopped;
  return runtimeStatus(deps, tenantId);
}

/**
 * Stops runtimes idle for IDLE_STOP_MS where the driver does not do it itself (those that hand
 * their state over: a sandbox container's disk goes when it sleeps, so the stop saves it first).
 */
export async function stopIdleRuntimes(deps: RuntimeDeps, now = new Date()): Promise<number> {
  if (!deps.driver.saveState) return 0;
  const idleSince = new Date(now.getTime() - IDLE_STOP_MS);
  const idle = await deps.db
    .select({ tenantId: tenantOpenclawRuntime.tenantId })
    .from(tenantOpenclawRuntime)
    .where(
      and(
        eq(tenantOpenclawRuntime.state, "ready"),
        lt(sql`coalesce(${tenantOpenclawRuntime.lastActiveAt}, ${tenantOpenclawRuntime.startedAt})`, idleSince.getTime()),
      ),
    );
  for (const { tenantId } of idle) await stopRuntime(deps, tenantId, { by: byPlatform, action: "runtime.stopped", reason: "idle" });
  return idle.length;
}

/**
 * Re-applies the generated config to a running gateway when it changed (agents added, renamed or
 * re-modelled; skill policy or secrets). Answers whether a running gateway has it now.
 */
export async function refreshRuntimeConfig(
  deps: RuntimeDeps,
  tenantId: string,
  r?: RuntimeRow,
  agents?: Agent[],
  state?: PolicyState,
): Promise<boolean> {
  r ??= await row(deps.db, tenantId);
  agents ??= await listAgents(deps.db, tenantId);
  const { config, sealed, hash } = await configFor(deps, tenantId, r?.skillsRescan ?? 0, agents, state);
  if (r?.state !== "ready" || r.configHash === hash) {
    // Last activity is for people reading /runtime: minute resolution is plenty.
    if (r && (!r.lastActiveAt || Date.now() - r.lastActiveAt.getTime() > 60_000)) {
      await deps.db.update(tenantOpenclawRuntime).set({ lastActiveAt: new Date() }).where(eq(tenantOpenclawRuntime.tenantId, tenantId));
    }
    return r?.state === "ready";
  }
  // A new agent's persona goes in before the gateway learns of it; agents with a folder keep theirs.
  const found = await listLiveCandidate(deps.driver, tenantId);
  const onDisk = found ? agentsIn(found) : new Set<string>();
  const newAgents = agents.filter((a) => !onDisk.has(a.id)).map((a) => a.id);
  if (newAgents.length) {
    const files = await savedWorkspace(deps.bucket, tenantId, newAgents);
    if (files.length) await deps.driver.writeFiles(tenantId, files);
  }
  // Resolves once OpenClaw has reloaded it, so the next turn may name a new agent.
  await deps.driver.applyConfig(tenantId, config, await skillEnvValues(deps.settings, tenantId, sealed));
  await deps.db
    .update(tenantOpenclawRuntime)
    .set({ configHash: hash, lastActiveAt: new Date() })
    .where(eq(tenantOpenclawRuntime.tenantId, tenantId));
  return true;
}

/**
 * Makes the running gateway scan its skill folders again (a SKILL.md an agent wrote since its start)
 * and resolves once it has; false when no gateway runs.
 */
export async function rescanSkills(deps: RuntimeDeps, tenantId: string): Promise<boolean> {
  const [r] = await deps.db
    .update(tenantOpenclawRuntime)
    .set({ skillsRescan: sql`${tenantOpenclawRuntime.skillsRescan} + 1` })
    .where(and(eq(tenantOpenclawRuntime.tenantId, tenantId), eq(tenantOpenclawRuntime.state, "ready")))
    .returning();
  return r ? refreshRuntimeConfig(deps, tenantId, r) : false;
}

// ── Tokens ──────────────────────────────────────────────────────────────────────────────────────────

/** The tenant a model-proxy token belongs to (only the running generation's token matches). */
export async function tenantForModelToken(db: Db, token: string): Promise<string | undefined> {
  if (!token.startsWith("rt_")) return undefined;
  const [r] = await db
    .select({ tenantId: tenantOpenclawRuntime.tenantId })
    .from(tenantOpenclawRuntime)
    .where(eq(tenantOpenclawRuntime.modelTokenHash, await sha256(token)));
  return r?.tenantId;
}

/** The sandbox gateway's operator token: derived, never stored, different for every start. */
export async function sandboxGatewayToken(db: Db, s: Settings, tenantId: string): Promise<string> {
  const r = await row(db, tenantId);
  return hmacSign(s.BETTER_AUTH_SECRET, "openclaw-gateway", `${tenantId}:${r?.generation ?? 0}`);
}

/** The team's runtimes, or the refusal a user reads when this AutoClaw runs without any. */
export function requireRuntime(deps: { runtime: RuntimeDeps | undefined }): RuntimeDeps {
  if (!deps.runtime) throw new DomainError("PRECONDITION_FAILED", "This AutoClaw runs without tenant runtimes (TENANT_RUNTIME=direct)");
  return deps.runtime;
}

/** An admin's Start: the plan must allow it; answers with the status once the gateway is ready. */
export async function startRuntime(deps: RuntimeDeps, tenantId: string, by: AuditBy, recorded = true): Promise<RuntimeStatus> {
  // A runtime without agents would hold a gateway (~1.25 GB) for nothing.
  if (!(await listAgents(deps.db, tenantId)).length)
    throw new DomainError("PRECONDITION_FAILED", "Create an agent first: a runtime runs a team's agents");
  await assertEntitled(deps, tenantId, { kind: "runtimeStart" });
  await ensureRuntimeReady(deps, tenantId, undefined, undefined, recorded ? { by, action: "runtime.started" } : null);
  return runtimeStatus(deps, tenantId);
}

/** Stop (the workspace saved to R2), then start again with fresh secrets. */
export async function restartRuntime(deps: RuntimeDeps, tenantId: string, by: AuditBy): Promise<RuntimeStatus> {
  await assertEntitled(deps, tenantId, { kind: "runtimeStart" });
  // Recorded once, at the stop (the change that surely happens); the start that follows is its second half.
  await stopRuntime(deps, tenantId, { by, action: "runtime.restarted" });
  return startRuntime(deps, tenantId, by, false);
}

/** Recent gateway log lines; none when the runtime cannot be reached (it may be stopped). */
export async function runtimeLogLines(deps: RuntimeDeps, tenantId: string, lines: number): Promise<{ lines: string[] }> {
  return { lines: await deps.driver.logs(tenantId, lines).catch(() => []) };
}

/** The runtime's state in one word, for a chat user ("none" when this AutoClaw runs without runtimes). */
export async function runtimeStateWord(runtime: RuntimeDeps | undefined, tenantId: string): Promise<string> {
  return runtime ? (await runtimeStatus(runtime, tenantId)).state : "none (direct mode)";
}
