// A tenant's OpenClaw workspace as the platform keeps it: one folder per agent (`<agentId>/…`) on the
// runtime's disk (a working copy) and in R2 (the durable copy). Shared by the Worker, the runtime
// host and the listing script the container runs, so all of them agree on what is kept.

/**
 * Written at the workspace root (outside every agent's folder, so no agent can touch it) when a start
 * has made the runtime's workspace complete. Its id is recorded in D1: a listing whose marker carries
 * that id comes from the live workspace; any other listing (no marker: a fresh disk, a folder the
 * runtime never filled; another id: a superseded copy) is never mirrored to R2.
 */
export const WORKSPACE_MARKER = ".autoclaw/workspace.json";

const MiB = 1024 * 1024;

/** What R2 keeps of one agent's workspace; a file past these limits stays on the runtime's disk only. */
export const WORKSPACE_LIMITS = {
  /** One file. */
  fileBytes: 10 * MiB,
  /** All files of one agent. */
  agentBytes: 100 * MiB,
  agentFiles: 5_000,
  /** A path below the agent's folder, in UTF-8 bytes (R2 keys allow 1,024 with our prefixes). */
  pathBytes: 512,
  segmentBytes: 255,
} as const;

/** How long a file's previous content is kept after the agent overwrites or deletes it. */
export const VERSION_RETENTION_DAYS = 30;

export interface WorkspaceFile {
  /** Relative to the workspace root: `<agentId>/<file>`. */
  path: string;
  size: number;
  /** Null for a file too large to keep (not hashed). */
  sha256: string | null;
}

export interface WorkspaceListing {
  /** The id in the workspace's marker, or null when it has none. */
  workspaceId: string | null;
  files: WorkspaceFile[];
}

const utf8 = new TextEncoder();

/** Why a path cannot be kept in R2, or undefined when it can. */
export function refusedName(path: string): string | undefined {
  if (path.includes("\uFFFD")) return "its name is not valid UTF-8";
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
  if (/[\u0000-\u001f\u007f]/.test(path)) return "its name contains control characters";
  if (path.includes("\\")) return "its name contains a backslash";
  const segments = path.split("/");
  if (segments.some((s) => s === "" || s === "." || s === "..")) return "its path has an empty, . or .. segment";
  if (utf8.encode(path).byteLength > WORKSPACE_LIMITS.pathBytes) return `its path is longer than ${WORKSPACE_LIMITS.pathBytes} bytes`;
  if (segments.some((s) => utf8.encode(s).byteLength > WORKSPACE_LIMITS.segmentBytes))
    return `a part of its path is longer than ${WORKSPACE_LIMITS.segmentBytes} bytes`;
  return undefined;
}

const mib = (bytes: number) => `${Math.round(bytes / MiB)} MiB`;

/**
 * Splits one agent's listing into the files R2 keeps and those it refuses (with the reason), in path
 * order so the same files are kept every time the budget runs out.
 */
export function filesToKeep(
  agentId: string,
  files: WorkspaceFile[],
): { keep: WorkspaceFile[]; refused: { path: string; reason: string }[] } {
  const keep: WorkspaceFile[] = [];
  const refused: { path: string; reason: string }[] = [];
  let bytes = 0;
  for (const f of [...files].sort((a, b) => (a.path < b.path ? -1 : 1))) {
    const rel = f.path.slice(agentId.length + 1);
    const reason =
      refusedName(rel) ??
      (f.size > WORKSPACE_LIMITS.fileBytes || f.sha256 === null
        ? `it is larger than ${mib(WORKSPACE_LIMITS.fileBytes)}`
        : keep.length >= WORKSPACE_LIMITS.agentFiles
          ? `the agent's workspace already has ${WORKSPACE_LIMITS.agentFiles} files`
          : bytes + f.size > WORKSPACE_LIMITS.agentBytes
            ? `the agent's workspace would exceed ${mib(WORKSPACE_LIMITS.agentBytes)}`
            : undefined);
    if (reason) refused.push({ path: f.path, reason });
    else {
      keep.push(f);
      bytes += f.size;
    }
  }
  return { keep, refused };
}
