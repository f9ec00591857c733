// A tenant's OpenClaw runtime: the state machine in D1, coalesced starts, the per-start model token,
// the generated config, and the workspace copied from R2 at start and back after every turn.
import { and, asc, eq, inArray, isNull, lt, or, sql, type SQL } from "drizzle-orm";
import { skillsForTemplate, type Agent } from "@autoclaw/shared";
import type { Settings } from "../config";
import type { Db } from "../db/client";
import { agents as agentsTable, tenantOpenclawRuntime } from "../db/schema";
import { MODEL_TOKEN_ENV, OPENCLAW_VERSION, tenantOpenclawConfig } from "../runtime/openclaw-config";
import { IDLE_STOP_MS, type RuntimeDriver, type RuntimeState, type WorkspaceFile } from "../runtime/runtime";
import { listAgents, toAgent } from "./agents";
import { base64url, hmacSign, randomBytes, sha256 } from "./crypto";
import { DomainError } from "./errors";

export interface RuntimeDeps {
  db: Db;
  settings: Settings;
  bucket: R2Bucket;
  driver: RuntimeDriver;
}

export interface RuntimeStatus {
  state: RuntimeState;
  version: string;
  startedAt: string | null;
  lastActiveAt: string | null;
  lastError: string | null;
}

/** A start may take this long before another caller may take it over. */
const START_LEASE_MS = 120_000;
const workspaceRoot = (tenantId: string) => `tenant/${tenantId}/openclaw/workspace/`;
/** OpenClaw's conversations, for drivers whose disk does not outlive a stop (RuntimeDriver.saveState). */
const stateKey = (tenantId: string) => `tenant/${tenantId}/openclaw/state/agents.tgz`;
/** One manifest per agent: each agent's AgentSession is the only writer of its own. */
const manifestKey = (tenantId: string, agentId: string) => `tenant/${tenantId}/openclaw/manifests/${agentId}.json`;

type Row = typeof tenantOpenclawRuntime.$inferSelect;
const iso = (d: Date | null) => d?.toISOString() ?? null;
const toStatus = (r: Row | undefined): RuntimeStatus =>
  r ? { state: r.state, version: r.version, startedAt: iso(r.startedAt), lastActiveAt: iso(r.lastActiveAt), lastError: r.lastError } : { state: "stopped", version: OPENCLAW_VERSION, startedAt: null, lastActiveAt: null, lastError: null };

async function row(db: Db, tenantId: string) {
  return db.query.tenantOpenclawRuntime.findFirst({ where: eq(tenantOpenclawRuntime.tenantId, tenantId) });
}

/** The D1 state, reconciled with what the driver reports (the host stops idle gateways on its own). */
export async function runtimeStatus(deps: RuntimeDeps, tenantId: string): Promise<RuntimeStatus> {
  const r = await row(deps.db, tenantId);
  if (r?.state === "ready") {
    const live = await deps.driver.status(tenantId).catch(() => ({ state: "error" as const, lastError: "The runtime host is unreachable" }));
    if (live.state !== "ready") {
      await deps.db
        .update(tenantOpenclawRuntime)
        .set({ state: live.state === "error" ? "error" : "stopped", lastError: live.lastError ?? r.lastError, updatedAt: new Date() })
        .where(and(eq(tenantOpenclawRuntime.tenantId, tenantId), eq(tenantOpenclawRuntime.state, "ready")));
      return toStatus(await row(deps.db, tenantId));
    }
  }
  return toStatus(r);
}

/** The generated config for the tenant's current agents. */
async function configFor(deps: RuntimeDeps, tenantId: string, agents?: Agent[]) {
  agents ??= await listAgents(deps.db, tenantId);
  const proxy = deps.settings.MODEL_PROXY_URL ?? new URL("/api/model/v1", deps.settings.APP_URL).toString();
  return tenantOpenclawConfig({
    agents: agents.map((a) => ({ id: a.id, name: a.name, model: a.model, skills: skillsForTemplate(a.templateId) })),
    modelProxyUrl: proxy,
    restrictTools: deps.driver.kind === "host",
  });
}

/**
 * What the ready check reads: the runtime's row and the agents its config is made from. `tenant` is
 * the id or a subquery for it, so a run's claim can carry these reads in its own batch.
 */
export function readinessReads(db: Db, tenant: string | SQL) {
  return [
    db.select().from(tenantOpenclawRuntime).where(eq(tenantOpenclawRuntime.tenantId, tenant)),
    db.select().from(agentsTable).where(and(eq(agentsTable.tenantId, tenant), isNull(agentsTable.deletedAt))).orderBy(asc(agentsTable.createdAt)),
  ] as const;
}
export type Readiness = [Row[], (typeof agentsTable.$inferSelect)[]];

/**
 * Makes sure the tenant's gateway is running and knows its current agents. Concurrent callers
 * coalesce: one claims the start in D1, the others wait for its outcome.
 */
export async function ensureRuntimeReady(deps: RuntimeDeps, tenantId: string, onStarting?: () => Promise<void>, read?: Readiness): Promise<void> {
  const { db } = deps;
  // The hot path costs no D1 round trip of its own when the run's claim brought the reads along.
  // D1 is trusted here; a gateway that vanished anyway is caught by the caller (markRuntimeGone).
  const [current, agentRows] = read ?? (await db.batch(readinessReads(db, tenantId)));
  if (current[0]?.state === "ready") {
    await refreshRuntimeConfig(deps, tenantId, current[0], agentRows.map(toAgent));
    return;
  }
  await onStarting?.();
  const now = new Date();
  await db.insert(tenantOpenclawRuntime).values({ tenantId, state: "stopped", version: OPENCLAW_VERSION, updatedAt: now }).onConflictDoNothing();
  const [claimed] = await db
    .update(tenantOpenclawRuntime)
    .set({ state: "starting", startingUntil: new Date(now.getTime() + START_LEASE_MS), lastError: null, updatedAt: now })
    .where(
      and(
        eq(tenantOpenclawRuntime.tenantId, tenantId),
        or(inArray(tenantOpenclawRuntime.state, ["stopped", "error", "ready"]), lt(tenantOpenclawRuntime.startingUntil, now), isNull(tenantOpenclawRuntime.startingUntil)),
      ),
    )
    .returning();
  if (!claimed) return waitForStart(deps, tenantId);
  await startClaimed(deps, tenantId, claimed.generation + 1);
}

async function startClaimed(deps: RuntimeDeps, tenantId: string, generation: number) {
  const { db } = deps;
  // A fresh model token for every start: the one a stopped runtime had stops working.
  const token = `rt_${base64url(randomBytes(32))}`;
  const config = await configFor(deps, tenantId);
  await db
    .update(tenantOpenclawRuntime)
    .set({ generation, modelTokenHash: await sha256(token), configHash: await sha256(JSON.stringify(config)), version: OPENCLAW_VERSION })
    .where(eq(tenantOpenclawRuntime.tenantId, tenantId));
  // The workspace is read from R2 while the gateway starts, and written into it once it runs.
  const saved = savedWorkspace(deps, tenantId);
  saved.catch(() => undefined); // a failed start is reported below, not as an unhandled read
  try {
    if (deps.driver.restoreState) {
      const state = await deps.bucket.get(stateKey(tenantId));
      if (state) await deps.driver.restoreState(tenantId, new Uint8Array(await state.arrayBuffer()));
    }
    await deps.driver.start(tenantId, { config, env: { [MODEL_TOKEN_ENV]: token } });
    const files = await saved;
    if (files.length) await deps.driver.writeFiles(tenantId, files);
    const now = new Date();
    await db
      .update(tenantOpenclawRuntime)
      .set({ state: "ready", startedAt: now, lastActiveAt: now, startingUntil: null, lastError: null, updatedAt: now })
      .where(eq(tenantOpenclawRuntime.tenantId, tenantId));
  } catch (e) {
    const message = `Runtime failed to start: ${e instanceof Error ? e.message : String(e)}`.slice(0, 500);
    await db.update(tenantOpenclawRuntime).set({ state: "error", lastError: message, startingUntil: null, modelTokenHash: null, updatedAt: new Date() }).where(eq(tenantOpenclawRuntime.tenantId, tenantId));
    throw new DomainError("PRECONDITION_FAILED", message);
  }
}

async function waitForStart(deps: RuntimeDeps, tenantId: string) {
  const deadline = Date.now() + START_LEASE_MS;
  while (Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 500));
    const r = await row(deps.db, tenantId);
    if (r?.state === "ready") return;
    if (r?.state === "error") throw new DomainError("PRECONDITION_FAILED", r.lastError ?? "Runtime failed to start");
    if (r?.state === "stopped") return ensureRuntimeReady(deps, tenantId);
  }
  throw new DomainError("PRECONDITION_FAILED", "The runtime is still starting; try again shortly");
}

/** The driver says the gateway is not there (idle-stopped, host restarted): record it so the next ensure starts it. */
export async function markRuntimeGone(db: Db, tenantId: string, reason: string) {
  await db
    .update(tenantOpenclawRuntime)
    .set({ state: "stopped", lastError: reason, modelTokenHash: null, configHash: null, updatedAt: new Date() })
    .where(and(eq(tenantOpenclawRuntime.tenantId, tenantId), eq(tenantOpenclawRuntime.state, "ready")));
}

export async function stopRuntime(deps: RuntimeDeps, tenantId: string): Promise<RuntimeStatus> {
  for (const agent of await listAgents(deps.db, tenantId)) await persistWorkspace(deps, tenantId, agent.id).catch(() => undefined);
  await deps.driver.stop(tenantId);
  let lastError: string | undefined;
  if (deps.driver.saveState) {
    try {
      const state = await deps.driver.saveState(tenantId);
      if (state) await deps.bucket.put(stateKey(tenantId), state);
    } catch (e) {
      lastError = `Conversations could not be saved at the stop: ${e instanceof Error ? e.message : String(e)}`.slice(0, 500);
    }
  }
  await deps.db
    .update(tenantOpenclawRuntime)
    .set({ state: "stopped", modelTokenHash: null, configHash: null, startingUntil: null, updatedAt: new Date(), ...(lastError && { lastError }) })
    .where(eq(tenantOpenclawRuntime.tenantId, tenantId));
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
    .where(and(eq(tenantOpenclawRuntime.state, "ready"), lt(sql`coalesce(${tenantOpenclawRuntime.lastActiveAt}, ${tenantOpenclawRuntime.startedAt})`, idleSince.getTime())));
  for (const { tenantId } of idle) await stopRuntime(deps, tenantId);
  return idle.length;
}

/** Re-applies the generated config to a running gateway when agents changed (added, renamed, re-modelled). */
export async function refreshRuntimeConfig(deps: RuntimeDeps, tenantId: string, r?: Row, agents?: Agent[]): Promise<void> {
  r ??= await row(deps.db, tenantId);
  const config = await configFor(deps, tenantId, agents);
  const hash = await sha256(JSON.stringify(config));
  if (r?.state !== "ready" || r.configHash === hash) {
    // Last activity is for people reading /runtime: minute resolution is plenty.
    if (r && (!r.lastActiveAt || Date.now() - r.lastActiveAt.getTime() > 60_000)) {
      await deps.db.update(tenantOpenclawRuntime).set({ lastActiveAt: new Date() }).where(eq(tenantOpenclawRuntime.tenantId, tenantId));
    }
    return;
  }
  await restoreWorkspace(deps, tenantId, { onlyMissing: true });
  // Resolves once OpenClaw has reloaded it, so the next turn may name a new agent.
  await deps.driver.applyConfig(tenantId, config);
  await deps.db.update(tenantOpenclawRuntime).set({ configHash: hash, lastActiveAt: new Date() }).where(eq(tenantOpenclawRuntime.tenantId, tenantId));
}

// ── Workspace: R2 is the durable copy, the runtime's disk a working copy ────────────────────────────

/** Path (relative to the tenant's workspace root) → SHA-256 of what R2 holds. */
export type WorkspaceManifest = Record<string, string>;

async function readManifest(bucket: R2Bucket, tenantId: string, agentId: string): Promise<WorkspaceManifest> {
  const obj = await bucket.get(manifestKey(tenantId, agentId));
  return obj ? ((await obj.json()) as WorkspaceManifest) : {};
}

/** Copies the tenant's workspace from R2 into the runtime (all files, or those it lacks). */
export async function restoreWorkspace(deps: RuntimeDeps, tenantId: string, opts: { onlyMissing?: boolean } = {}) {
  const present = opts.onlyMissing ? new Set((await deps.driver.listFiles(tenantId)).map((f) => f.path)) : new Set<string>();
  const files = await savedWorkspace(deps, tenantId, present);
  if (files.length) await deps.driver.writeFiles(tenantId, files);
}

/** The workspace files R2 holds for the tenant, except those in `skip`. */
async function savedWorkspace(deps: RuntimeDeps, tenantId: string, skip = new Set<string>()) {
  const prefix = workspaceRoot(tenantId);
  const files: { path: string; content: Uint8Array }[] = [];
  let cursor: string | undefined;
  do {
    const page = await deps.bucket.list({ prefix, cursor });
    for (const o of page.objects) {
      const path = o.key.slice(prefix.length);
      if (skip.has(path)) continue;
      const body = await deps.bucket.get(o.key);
      if (body) files.push({ path, content: new Uint8Array(await body.arrayBuffer()) });
    }
    cursor = page.truncated ? page.cursor : undefined;
  } while (cursor);
  return files;
}

/**
 * Mirrors an agent's workspace to R2 (called after every turn): files it created or changed are
 * uploaded, files it deleted are deleted. `known` is the manifest the caller kept from last time
 * (the AgentSession's memory); without it the manifest is read from R2. Returns the new manifest.
 */
export async function persistWorkspace(deps: RuntimeDeps, tenantId: string, agentId: string, known?: WorkspaceManifest, listed?: WorkspaceFile[]): Promise<WorkspaceManifest> {
  const [files, before] = await Promise.all([listed ?? deps.driver.listFiles(tenantId, agentId), known ?? readManifest(deps.bucket, tenantId, agentId)]);
  const manifest = { ...before };
  const changed = files.filter((f) => manifest[f.path] !== f.sha256);
  const present = new Set(files.map((f) => f.path));
  const deleted = Object.keys(manifest).filter((p) => !present.has(p));
  for (const f of changed) {
    const content = await deps.driver.readFile(tenantId, f.path);
    await deps.bucket.put(workspaceRoot(tenantId) + f.path, content, { customMetadata: { sha256: f.sha256 } });
    manifest[f.path] = f.sha256;
  }
  if (deleted.length) {
    await deps.bucket.delete(deleted.map((p) => workspaceRoot(tenantId) + p));
    for (const p of deleted) delete manifest[p];
  }
  if (changed.length || deleted.length) await deps.bucket.put(manifestKey(tenantId, agentId), JSON.stringify(manifest), { httpMetadata: { contentType: "application/json" } });
  return manifest;
}

// ── Tokens ──────────────────────────────────────────────────────────────────────────────────────────

/** The tenant a model-proxy token belongs to (only the running generation's token matches). */
export async function tenantForModelToken(db: Db, token: string): Promise<string | undefined> {
  if (!token.startsWith("rt_")) return undefined;
  const r = await db.query.tenantOpenclawRuntime.findFirst({ where: eq(tenantOpenclawRuntime.modelTokenHash, await sha256(token)), columns: { tenantId: true } });
  return r?.tenantId;
}

/** The sandbox gateway's operator token: derived, never stored, different for every start. */
export async function sandboxGatewayToken(db: Db, s: Settings, tenantId: string): Promise<string> {
  const r = await row(db, tenantId);
  return hmacSign(s.BETTER_AUTH_SECRET, "openclaw-gateway", `${tenantId}:${r?.generation ?? 0}`);
}
