// Agents' workspaces: R2 is the durable copy, the runtime's disk the working copy. A turn's changes
// are mirrored to R2 right after it, and only from the live workspace (the one whose marker id D1
// recorded at the last start): a listing that fails, comes from a disk the runtime never filled, or
// is empty while R2 holds files, is an error — never "the agent deleted everything". Every file the
// agent overwrites or deletes keeps its previous content in R2 for VERSION_RETENTION_DAYS.
import { and, count, desc, eq, inArray, lt } from "drizzle-orm";
import type { FileVersion, WorkspaceFileSummary } from "@autoclaw/shared";
import type { Db } from "../db/client";
import { workspaceVersions } from "../db/schema";
import { RuntimeError, type RuntimeDriver } from "../drivers/driver";
import { filesToKeep, VERSION_RETENTION_DAYS, WORKSPACE_MARKER, type WorkspaceListing } from "@autoclaw/runtime-protocol";
import { getAgentRow } from "./agents";
import { sha256 } from "./crypto";
import { agentWorkspace, manifestKey, versionKey, workspaceRoot } from "./r2-keys";

export interface WorkspaceDeps {
  db: Db;
  bucket: R2Bucket;
  driver: RuntimeDriver;
}

/** Path (`<agentId>/<file>`) → SHA-256 of what R2 holds. */
export type WorkspaceManifest = Record<string, string>;

/** The listing is not of the live workspace: nothing may be mirrored from it. */
export class WorkspaceNotLiveError extends Error {
  override readonly name = "WorkspaceNotLiveError";
}

/** A turn that deletes more files than this gets a warning saying so (each one's content is kept). */
const MANY_DELETIONS = 20;

async function readManifest(bucket: R2Bucket, tenantId: string, agentId: string): Promise<WorkspaceManifest> {
  const obj = await bucket.get(manifestKey(tenantId, agentId));
  return obj ? ((await obj.json()) as WorkspaceManifest) : {};
}

/** The marker a start writes once the runtime's workspace is complete (see WORKSPACE_MARKER). */
export const markerFile = (workspaceId: string) => ({
  path: WORKSPACE_MARKER,
  content: new TextEncoder().encode(JSON.stringify({ id: workspaceId })),
});

/** The workspace files R2 holds for the tenant (or for some of its agents). */
export async function savedWorkspace(
  bucket: R2Bucket,
  tenantId: string,
  agentIds?: string[],
): Promise<{ path: string; content: Uint8Array }[]> {
  const prefixes = agentIds ? agentIds.map((a) => agentWorkspace(tenantId, a)) : [workspaceRoot(tenantId)];
  const files: { path: string; content: Uint8Array }[] = [];
  for (const prefix of prefixes) {
    let cursor: string | undefined;
    do {
      const page = await bucket.list({ prefix, cursor });
      for (const o of page.objects) {
        const body = await bucket.get(o.key);
        if (body) files.push({ path: o.key.slice(workspaceRoot(tenantId).length), content: new Uint8Array(await body.arrayBuffer()) });
      }
      cursor = page.truncated ? page.cursor : undefined;
    } while (cursor);
  }
  return files;
}

/** The agents that have a folder in this listing. */
export const agentsIn = (listing: WorkspaceListing) => new Set(listing.files.map((f) => f.path.split("/")[0]!));

export interface MirrorResult {
  manifest: WorkspaceManifest;
  /** Files not kept (named, with the reason) and other things the run's reader should know. */
  warnings: string[];
  /** The files this mirror wrote (new or changed), relative to the agent's folder. */
  saved?: { path: string; size: number }[];
}

/**
 * Mirrors one agent's folder of the live workspace to R2: new and changed files are uploaded,
 * deleted ones removed — each overwritten or deleted file's previous content first kept as a version.
 * `known` is the manifest the caller kept from last time (the AgentSession's memory), else R2's.
 * A file the platform refuses (name, size, budget) is skipped and named in the warnings; it never
 * fails the mirror.
 */
export async function mirrorWorkspace(
  deps: WorkspaceDeps,
  tenantId: string,
  agentId: string,
  opts: { workspaceId: string; listing?: WorkspaceListing; known?: WorkspaceManifest; runId?: string },
): Promise<MirrorResult> {
  const listing = opts.listing ?? (await deps.driver.listFiles(tenantId, agentId));
  if (listing.workspaceId !== opts.workspaceId)
    throw new WorkspaceNotLiveError(`the runtime's workspace is not the live one (marker ${listing.workspaceId ?? "missing"})`);
  const before = opts.known ?? (await readManifest(deps.bucket, tenantId, agentId));
  const files = listing.files.filter((f) => f.path.startsWith(`${agentId}/`));
  // An empty folder is far likelier a broken disk or mount than an agent deleting everything: keep R2 as it is, and say so.
  if (files.length === 0 && Object.keys(before).length > 0) {
    return {
      manifest: before,
      warnings: [
        `The agent's folder is empty in its runtime; nothing was deleted: the ${Object.keys(before).length} files saved before are kept.`,
      ],
    };
  }
  const rel = (p: string) => p.slice(agentId.length + 1);
  const { keep, refused } = filesToKeep(agentId, files);
  const warnings = refused.map((r) => `${rel(r.path)} was not saved: ${r.reason}.`);
  const present = new Set(files.map((f) => f.path));
  const changed = keep.filter((f) => before[f.path] !== f.sha256);
  // A refused file that R2 held before keeps its last saved copy: it is still there, only not storable now.
  const deleted = Object.keys(before).filter((p) => !present.has(p));
  if (changed.length === 0 && deleted.length === 0) return { manifest: before, warnings };

  const manifest = { ...before };
  const saved: { path: string; size: number }[] = [];
  const now = Date.now();
  const versions: (typeof workspaceVersions.$inferInsert)[] = [];
  const keepVersion = async (path: string, reason: "overwritten" | "deleted") => {
    const current = await deps.bucket.get(workspaceRoot(tenantId) + path);
    if (!current) return;
    const bytes = new Uint8Array(await current.arrayBuffer());
    const hash = before[path] ?? (await sha256(bytes));
    const key = versionKey(tenantId, agentId, rel(path), now, hash);
    await deps.bucket.put(key, bytes, { customMetadata: { sha256: hash, reason } });
    versions.push({
      tenantId,
      agentId,
      path: rel(path),
      sha256: hash,
      size: bytes.byteLength,
      r2Key: key,
      reason,
      runId: opts.runId ?? null,
      createdAt: new Date(now),
      expiresAt: new Date(now + VERSION_RETENTION_DAYS * 86_400_000),
    });
  };
  for (const f of changed) {
    let content: Uint8Array<ArrayBuffer>;
    try {
      content = new Uint8Array(await deps.driver.readFile(tenantId, f.path));
    } catch (e) {
      warnings.push(`${rel(f.path)} was not saved: it could not be read (${e instanceof Error ? e.message : String(e)}).`);
      continue;
    }
    if (before[f.path]) await keepVersion(f.path, "overwritten");
    const hash = await sha256(content);
    await deps.bucket.put(workspaceRoot(tenantId) + f.path, content, { customMetadata: { sha256: hash } });
    manifest[f.path] = hash;
    saved.push({ path: rel(f.path), size: content.byteLength });
  }
  for (const p of deleted) await keepVersion(p, "deleted");
  if (deleted.length) {
    await deps.bucket.delete(deleted.map((p) => workspaceRoot(tenantId) + p));
    for (const p of deleted) delete manifest[p];
    if (deleted.length > MANY_DELETIONS)
      warnings.push(`The agent deleted ${deleted.length} files; their previous versions are kept for ${VERSION_RETENTION_DAYS} days.`);
  }
  // D1 binds at most 100 values per statement: nine rows of eleven columns each, in one batch.
  const inserts = chunks(versions, 9).map((rows) => deps.db.insert(workspaceVersions).values(rows));
  if (inserts.length) await deps.db.batch(inserts as [(typeof inserts)[0], ...typeof inserts]);
  await deps.bucket.put(manifestKey(tenantId, agentId), JSON.stringify(manifest), { httpMetadata: { contentType: "application/json" } });
  return { manifest, warnings, saved };
}

/** The runtime's whole workspace, or undefined when it has none (a fresh disk). */
export async function listLiveCandidate(driver: RuntimeDriver, tenantId: string): Promise<WorkspaceListing | undefined> {
  try {
    return await driver.listFiles(tenantId);
  } catch (e) {
    if (e instanceof RuntimeError && e.code === "no_workspace") return undefined;
    throw e;
  }
}

const chunks = <T>(items: T[], size: number) =>
  Array.from({ length: Math.ceil(items.length / size) }, (_, i) => items.slice(i * size, (i + 1) * size));

/** Deletes versions past their retention (object and row), a bounded amount per call (the cron runs every minute). */
export async function pruneWorkspaceVersions(deps: Pick<WorkspaceDeps, "db" | "bucket">, now = new Date(), rounds = 10): Promise<number> {
  let pruned = 0;
  for (let i = 0; i < rounds; i++) {
    const expired = await deps.db
      .select({ id: workspaceVersions.id, r2Key: workspaceVersions.r2Key })
      .from(workspaceVersions)
      .where(lt(workspaceVersions.expiresAt, now))
      .limit(90);
    if (!expired.length) break;
    await deps.bucket.delete(expired.map((v) => v.r2Key));
    await deps.db.delete(workspaceVersions).where(
      and(
        inArray(
          workspaceVersions.id,
          expired.map((v) => v.id),
        ),
        lt(workspaceVersions.expiresAt, now),
      ),
    );
    pruned += expired.length;
  }
  return pruned;
}

// ── Reading what R2 keeps (agents.files, agents.fileVersions) ──────────────────────────────────────

/** An agent's files as R2 keeps them, with how many previous versions each has. */
export async function listAgentFiles(
  deps: Pick<WorkspaceDeps, "db" | "bucket">,
  tenantId: string,
  agentId: string,
): Promise<WorkspaceFileSummary[]> {
  await getAgentRow(deps.db, tenantId, agentId); // another team's agent is not found
  const prefix = agentWorkspace(tenantId, agentId);
  const objects: R2Object[] = [];
  let cursor: string | undefined;
  do {
    const page = await deps.bucket.list({ prefix, cursor, include: ["customMetadata"] });
    objects.push(...page.objects);
    cursor = page.truncated ? page.cursor : undefined;
  } while (cursor);
  const counts = await deps.db
    .select({ path: workspaceVersions.path, n: count() })
    .from(workspaceVersions)
    .where(and(eq(workspaceVersions.tenantId, tenantId), eq(workspaceVersions.agentId, agentId)))
    .groupBy(workspaceVersions.path);
  const versions = new Map(counts.map((c) => [c.path, c.n]));
  return objects.map((o) => {
    const path = o.key.slice(prefix.length);
    return {
      path,
      size: o.size,
      sha256: o.customMetadata?.sha256 ?? null,
      updatedAt: o.uploaded.toISOString(),
      versions: versions.get(path) ?? 0,
    };
  });
}

/** The previous versions kept of an agent's files (or of one file), newest first. */
export async function listFileVersions(db: Db, tenantId: string, agentId: string, path?: string): Promise<FileVersion[]> {
  await getAgentRow(db, tenantId, agentId); // another team's agent is not found
  const rows = await db
    .select()
    .from(workspaceVersions)
    .where(
      and(
        eq(workspaceVersions.tenantId, tenantId),
        eq(workspaceVersions.agentId, agentId),
        path ? eq(workspaceVersions.path, path) : undefined,
      ),
    )
    .orderBy(desc(workspaceVersions.createdAt), desc(workspaceVersions.id))
    .limit(200);
  return rows.map((v) => ({
    path: v.path,
    reason: v.reason,
    size: v.size,
    sha256: v.sha256,
    runId: v.runId,
    at: v.createdAt.toISOString(),
    expiresAt: v.expiresAt.toISOString(),
  }));
}
