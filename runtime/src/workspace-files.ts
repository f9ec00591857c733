// A tenant's workspace on the host's disk: files read and written inside it only, listings, and the
// moves that keep every tenant file (a superseded workspace moves aside, a pool slot's files go home).
// Nothing here deletes a tenant's file.
import { existsSync, readdirSync } from "node:fs";
import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { WORKSPACE_LIMITS, WORKSPACE_MARKER, type WorkspaceListing } from "@autoclaw/runtime-protocol";
import { gatewayPaths, type GatewayPaths } from "./gateway.ts";
import { AGENT_ID, HostHttpError } from "./tenant.ts";
import { listWorkspace, NoWorkspaceError } from "./workspace-listing.ts";

/** Superseded workspaces kept per tenant (the oldest beyond this go). */
const SUPERSEDED_KEPT = 3;

/** A path inside the workspace; anything that would leave it is refused. */
function inside(workspace: string, rel: string): string {
  const full = path.resolve(workspace, rel);
  if (!full.startsWith(workspace + path.sep) || rel.includes("\0")) throw new HostHttpError(400, "path escapes the workspace");
  return full;
}

export async function writeWorkspaceFiles(workspace: string, files: { path: string; content: string }[]) {
  for (const f of files) {
    const full = inside(workspace, f.path);
    await mkdir(path.dirname(full), { recursive: true });
    await writeFile(full, Buffer.from(f.content, "base64"));
  }
}

export const readWorkspaceFile = (workspace: string, rel: string): Promise<Buffer> => readFile(inside(workspace, rel));

/** Every file in the workspace, or in one agent's folder of it, with its size, SHA-256 and the workspace's marker. */
export async function listWorkspaceFiles(
  workspace: string,
  under: string | undefined,
  hashes: Map<string, { key: string; sha256: string }>,
): Promise<WorkspaceListing> {
  if (under !== undefined && !AGENT_ID.test(under)) throw new HostHttpError(400, "bad workspace folder");
  try {
    return await listWorkspace(workspace, under, { marker: WORKSPACE_MARKER, hashMaxBytes: WORKSPACE_LIMITS.fileBytes, cache: hashes });
  } catch (e) {
    if (e instanceof NoWorkspaceError) throw new HostHttpError(404, e.message, "no_workspace");
    throw e;
  }
}

/** The workspace is not the live one (the Worker's call): it moves aside, the newest few kept; an empty one takes its place. */
export async function supersedeWorkspace(p: GatewayPaths) {
  if (!existsSync(p.workspace)) return;
  await moveOver(p.workspace, path.join(p.superseded, new Date().toISOString().replace(/[:.]/g, "-")));
  await mkdir(p.workspace, { recursive: true, mode: 0o700 });
  const kept = readdirSync(p.superseded).sort();
  for (const old of kept.slice(0, Math.max(0, kept.length - SUPERSEDED_KEPT)))
    await rm(path.join(p.superseded, old), { recursive: true, force: true });
}

/**
 * Workspace folders the agent must not reach (a skill the team may not use) move out of it into the
 * tenant's own folder (`to`: never a pool slot's, which goes when the slot is handed back), kept.
 */
export async function setAside(workspace: string, to: string, paths: string[]) {
  const at = path.join(to, new Date().toISOString().replace(/[:.]/g, "-"));
  for (const rel of paths) await moveOver(inside(workspace, rel), path.join(at, rel));
}

/** Moves a folder over another (which goes: the moved one is its newer copy). */
export async function moveOver(from: string, to: string) {
  if (!existsSync(from)) return;
  await rm(to, { recursive: true, force: true });
  await mkdir(path.dirname(to), { recursive: true, mode: 0o700 });
  await rename(from, to);
}

/** A claimed pool slot's workspace, conversations and logs go to the tenant's own folder; the rest of the slot is the pool's. */
export async function moveHome(slotDir: string, homeDir: string) {
  const from = gatewayPaths(slotDir);
  const to = gatewayPaths(homeDir);
  await moveOver(from.workspace, to.workspace);
  await moveOver(from.agents, to.agents);
  await moveOver(from.logs, to.logs);
  await rm(slotDir, { recursive: true, force: true }); // what is left is the pool's (and the config with the tenant's token)
}
