// pnpm demo [name]: the scripted walkthroughs (e2e/demos/) in Chromium against a fresh local stack started by the
// run command (the browser suite's config starts it on its own ports and state), then where the videos are.
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import path from "node:path";

const root = path.resolve(import.meta.dirname, "..");
const demos = path.join(root, "e2e/demos");
const names = readdirSync(demos)
  .filter((f) => f.endsWith(".spec.ts"))
  .map((f) => f.replace(/\.spec\.ts$/, ""))
  .sort();
const wanted = process.argv[2];
if (wanted && !names.includes(wanted)) {
  console.error(`No demo "${wanted}". The demos: ${names.join(", ")}`);
  process.exit(2);
}
const args = [
  "test",
  "--config",
  path.join(root, "e2e/playwright.config.ts"),
  "--project=demos",
  ...(wanted ? [`demos/${wanted}.spec.ts`] : []),
];
const result = spawnSync(path.join(root, "node_modules/.bin/playwright"), args, { cwd: root, stdio: "inherit" });
console.log("\nVideos and screenshots:");
for (const name of wanted ? [wanted] : names) {
  const dir = path.join(demos, "output", name);
  const videos = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith(".webm")) : [];
  console.log(`  ${name}: ${videos.length ? videos.map((v) => path.join(dir, v)).join(", ") : "(none: the demo failed)"}`);
}
process.exit(result.status ?? 1);
