// Lists a tenant workspace (or one agent's folder of it) with each file's size and SHA-256, and the
// workspace's marker id. The runtime host imports it; the production image runs it as a script
// (`node workspace-listing.ts <root> [folder] --marker <path> --hash-max <bytes>`, JSON on stdout),
// so both drivers list the same way. Node built-ins only: the image has nothing else of ours.
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { lstat, readdir, readFile } from "node:fs/promises";
import path from "node:path";

export interface ListingOptions {
  /** The marker file, relative to the root (WORKSPACE_MARKER). */
  marker: string;
  /** Files larger than this are listed with their size but not hashed (the platform does not keep them). */
  hashMaxBytes: number;
  /** Hashes from earlier listings, reused while a file's inode, size and mtime are unchanged. */
  cache?: Map<string, { key: string; sha256: string }>;
}

export interface Listing {
  workspaceId: string | null;
  files: { path: string; size: number; sha256: string | null }[];
}

/** Folders that are tools' caches, not the agent's work. */
const SKIPPED = new Set([".git", "node_modules", ".cache"]);

export class NoWorkspaceError extends Error {
  readonly status = 404;
}

/** Streams the file through SHA-256: a large file never sits in memory. */
function sha256Of(file: Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash("sha256");
    createReadStream(file)
      .on("data", (d) => hash.update(d))
      .on("end", () => resolve(hash.digest("hex")))
      .on("error", reject);
  });
}

export async function listWorkspace(root: string, folder: string | undefined, opts: ListingOptions): Promise<Listing> {
  const start = folder ? path.join(root, folder) : root;
  // A missing folder is not an empty one: the caller must never read it as "every file was deleted".
  const top = await lstat(start).catch(() => undefined);
  if (!top?.isDirectory()) throw new NoWorkspaceError(`no workspace at ${folder ? `${folder}/` : "the root"}`);
  const marker = await readFile(path.join(root, opts.marker), "utf8").then(
    (t) => (JSON.parse(t) as { id?: unknown }).id,
    () => undefined,
  );
  const markerDir = opts.marker.split("/")[0];
  const files: Listing["files"] = [];
  const seen = new Set<string>();
  const utf8 = new TextDecoder("utf-8", { fatal: true });
  // Names are read as bytes: one that is not UTF-8 is listed (with U+FFFD in its path, unhashed, so
  // the platform can name what it refuses) instead of failing the listing or being read as another name.
  const walk = async (dir: Buffer, rel: string) => {
    for (const e of await readdir(dir, { withFileTypes: true, encoding: "buffer" })) {
      let name: string;
      let readable = true;
      try {
        name = utf8.decode(e.name);
      } catch {
        name = new TextDecoder().decode(e.name);
        readable = false;
      }
      if (SKIPPED.has(name) || (rel === "" && !folder && name === markerDir)) continue;
      const full = Buffer.concat([dir, Buffer.from(path.sep), e.name]);
      const relPath = rel ? `${rel}/${name}` : name;
      if (e.isDirectory()) await walk(full, relPath);
      else if (e.isFile()) {
        const st = await lstat(full);
        let sha256: string | null = null;
        if (readable && st.size <= opts.hashMaxBytes) {
          const key = `${st.ino}:${st.size}:${st.mtimeMs}`;
          const id = full.toString();
          const cached = opts.cache?.get(id);
          sha256 = cached?.key === key ? cached.sha256 : await sha256Of(full);
          opts.cache?.set(id, { key, sha256 });
          seen.add(id);
        }
        files.push({ path: relPath, size: st.size, sha256 });
      }
    }
  };
  await walk(Buffer.from(start), folder ? folder.split(path.sep).join("/") : "");
  if (opts.cache) for (const k of opts.cache.keys()) if (k.startsWith(start + path.sep) && !seen.has(k)) opts.cache.delete(k);
  return { workspaceId: typeof marker === "string" ? marker : null, files: files.sort((a, b) => (a.path < b.path ? -1 : 1)) };
}

// The script form, for the production image.
if (import.meta.url === `file://${process.argv[1]}`) {
  const [root, ...rest] = process.argv.slice(2);
  const flag = (name: string) => rest[rest.indexOf(name) + 1];
  const folder = rest[0] && !rest[0].startsWith("--") ? rest[0] : undefined;
  try {
    const listing = await listWorkspace(root!, folder, {
      marker: flag("--marker") ?? ".autoclaw/workspace.json",
      hashMaxBytes: Number(flag("--hash-max") ?? Infinity),
    });
    process.stdout.write(JSON.stringify(listing));
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n`);
    process.exit(e instanceof NoWorkspaceError ? 2 : 1);
  }
}
