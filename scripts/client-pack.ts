// pnpm client:pack: the installable tarball of @autoclaw/client, built from the committed router types. Fails when
// those are stale, so a published client always matches the API it was built with. Prints the tarball's path last.
import { execFileSync } from "node:child_process";
import { mkdirSync, readdirSync, rmSync } from "node:fs";
import path from "node:path";

const root = path.resolve(import.meta.dirname, "..");
const pkg = path.join(root, "shared/client");
const outDir = path.join(root, ".autoclaw/client-pack");
const run = (cmd: string, args: string[], cwd = root) => execFileSync(cmd, args, { cwd, stdio: ["ignore", "inherit", "inherit"] });

run(process.execPath, [path.join(pkg, "scripts/generate.ts"), "--check"]);
run(path.join(pkg, "node_modules/.bin/tsdown"), [], pkg);
rmSync(outDir, { recursive: true, force: true });
mkdirSync(outDir, { recursive: true });
// pnpm pack applies publishConfig (exports → dist), which npm pack would not.
run("pnpm", ["pack", "--pack-destination", outDir], pkg);
const tarball = readdirSync(outDir).find((name) => name.endsWith(".tgz"));
if (!tarball) throw new Error(`pnpm pack wrote no tarball into ${outDir}`);
console.log(path.join(outDir, tarball));
