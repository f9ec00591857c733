// The runtime host's own files, without gateways: rotated gateway logs read from their end, and the
// workspace listing both drivers use (streamed hashes, honest about missing folders and odd names).
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, statSync, writeFileSync } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { RotatingLog, tailLines } from "../src/logs";
import { listWorkspace, NoWorkspaceError } from "../src/workspace-listing";

const dir = () => mkdtemp(path.join(tmpdir(), "autoclaw-files-"));
const write = (log: RotatingLog, text: string) => new Promise<void>((r, j) => log.write(text, (e) => (e ? j(e) : r())));

describe("gateway logs", () => {
  it("rotate at their cap, keeping one archive, so a chatty gateway never fills the disk", async () => {
    const file = path.join(await dir(), "logs", "gateway.log");
    const log = new RotatingLog(file, 64 * 1024);
    for (let i = 0; i < 5_000; i++) await write(log, `line ${i} ${"x".repeat(40)}\n`);
    await new Promise<void>((r) => log.end(r));
    expect(statSync(file).size).toBeLessThanOrEqual(64 * 1024);
    expect(statSync(`${file}.1`).size).toBeLessThanOrEqual(64 * 1024);
    expect(existsSync(`${file}.2`)).toBe(false);
    // The newest lines are there, read from the end.
    expect(tailLines(file, 3)).toEqual([4997, 4998, 4999].map((i) => `line ${i} ${"x".repeat(40)}`));
  });

  it("the tail of a large log is its last lines, across the archive when the active file is short", async () => {
    const file = path.join(await dir(), "gateway.log");
    writeFileSync(`${file}.1`, `${Array.from({ length: 200_000 }, (_, i) => `old ${i} ✓`).join("\n")}\n`);
    writeFileSync(file, "new 0\nnew 1\n");
    expect(tailLines(file, 4)).toEqual(["old 199998 ✓", "old 199999 ✓", "new 0", "new 1"]);
    expect(tailLines(path.join(path.dirname(file), "missing.log"), 5)).toEqual([]);
  });
});

describe("workspace listing", () => {
  const opts = { marker: ".autoclaw/workspace.json", hashMaxBytes: 1024 * 1024 };

  it("lists an agent's folder with sizes and SHA-256, the marker's id, and reuses hashes of unchanged files", async () => {
    const root = await dir();
    mkdirSync(path.join(root, "ag_a", "notes"), { recursive: true });
    mkdirSync(path.join(root, ".autoclaw"));
    writeFileSync(path.join(root, ".autoclaw", "workspace.json"), JSON.stringify({ id: "ws_1" }));
    writeFileSync(path.join(root, "ag_a", "notes", "a.md"), "alpha");
    writeFileSync(path.join(root, "ag_a", "big.bin"), Buffer.alloc(2 * 1024 * 1024));
    mkdirSync(path.join(root, "ag_a", ".git"));
    writeFileSync(path.join(root, "ag_a", ".git", "HEAD"), "ref");
    const cache = new Map<string, { key: string; sha256: string }>();
    const listing = await listWorkspace(root, "ag_a", { ...opts, cache });
    expect(listing).toEqual({
      workspaceId: "ws_1",
      files: [
        // Too large to keep: listed with its size, never read whole.
        { path: "ag_a/big.bin", size: 2 * 1024 * 1024, sha256: null },
        { path: "ag_a/notes/a.md", size: 5, sha256: createHash("sha256").update("alpha").digest("hex") },
      ],
    });
    expect(cache.size).toBe(1);
    writeFileSync(path.join(root, "ag_a", "notes", "a.md"), "beta!");
    expect((await listWorkspace(root, "ag_a", { ...opts, cache })).files[1]!.sha256).toBe(
      createHash("sha256").update("beta!").digest("hex"),
    );
    // The whole workspace leaves out the marker.
    expect((await listWorkspace(root, undefined, opts)).files.map((f) => f.path)).toEqual(["ag_a/big.bin", "ag_a/notes/a.md"]);
  });

  it("a folder that does not exist is an error, and a name that is not UTF-8 is listed (unhashed) rather than failing", async () => {
    const root = await dir();
    await expect(listWorkspace(root, "ag_missing", opts)).rejects.toBeInstanceOf(NoWorkspaceError);
    mkdirSync(path.join(root, "ag_b"));
    writeFileSync(Buffer.concat([Buffer.from(`${path.join(root, "ag_b")}/`), Buffer.from([0xff]), Buffer.from(".md")]), "x");
    const listing = await listWorkspace(root, "ag_b", opts);
    expect(listing).toEqual({ workspaceId: null, files: [{ path: "ag_b/\uFFFD.md", size: 1, sha256: null }] });
  });
});
