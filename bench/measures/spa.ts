// The SPA as a visitor's browser gets it: the production build's first-load JavaScript for /dashboard
// (the entry chunk, the dashboard route's chunk and every chunk they import statically, gzipped; the
// other routes load when visited), and /dashboard's time to interactive in Chromium against the built
// SPA (`vite preview`, the API proxied as in production): from navigation start until the team's
// name, which the dashboard shows once its first query answered, is on screen.
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { gzipSync } from "node:zlib";
import { chromium } from "@playwright/test";
import { atMost, type Benchmark, pct } from "../lib.ts";
import { SPA_ORIGIN } from "../stack.ts";

const ROUNDS = 15;
const root = path.resolve(import.meta.dirname, "../..");

interface Chunk {
  file: string;
  imports?: string[];
  isEntry?: boolean;
}

/** KB (gzip) of the JavaScript a first visit to a route loads: its chunks and their static imports. */
export function firstLoadKb(outDir: string, routeModule: string): { kb: number; files: number } {
  const manifest = JSON.parse(readFileSync(path.join(outDir, ".vite/manifest.json"), "utf8")) as Record<string, Chunk>;
  const seen = new Set<string>();
  const visit = (key: string) => {
    if (seen.has(key)) return;
    seen.add(key);
    for (const i of manifest[key]!.imports ?? []) visit(i);
  };
  for (const [key, c] of Object.entries(manifest)) if (c.isEntry) visit(key);
  // A build without route-level splitting has the route in the entry chunk already.
  if (manifest[routeModule]) visit(routeModule);
  const bytes = [...seen].reduce((sum, k) => sum + gzipSync(readFileSync(path.join(outDir, manifest[k]!.file))).length, 0);
  return { kb: bytes / 1024, files: seen.size };
}

export const spaBench: Benchmark = async ({ api }) => {
  const outDir = mkdtempSync(path.join(tmpdir(), "autoclaw-spa-"));
  const vite = path.join(root, "node_modules/.bin/vite");
  const build = spawnSync(vite, ["build", "--outDir", outDir, "--manifest", "--emptyOutDir"], { cwd: root, encoding: "utf8" });
  if (build.status !== 0) throw new Error(`vite build failed:\n${build.stderr}`);
  const dashboard = firstLoadKb(outDir, "src/pages/DashboardPage.tsx");

  const preview: ChildProcess = spawn(vite, ["preview", "--outDir", outDir, "--port", new URL(SPA_ORIGIN).port, "--strictPort"], {
    cwd: root,
    env: { ...process.env, AUTOCLAW_API_URL: api },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const origin = SPA_ORIGIN;
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium" });
  try {
    for (let t = Date.now(); ; await new Promise((r) => setTimeout(r, 200))) {
      if (
        await fetch(origin).then(
          (r) => r.ok,
          () => false,
        )
      )
        break;
      if (Date.now() - t > 30_000) throw new Error("vite preview did not start");
    }
    // A member with a team, signed in through the preview's origin as the SPA would be.
    const headers = { "content-type": "application/json", origin };
    const signUp = await fetch(`${origin}/api/auth/sign-up/email`, {
      method: "POST",
      headers: { ...headers, "cf-connecting-ip": "198.51.100.230" },
      body: JSON.stringify({ name: "TTI", email: `tti-${Date.now()}@example.com`, password: "a long bench password" }),
    });
    const cookies = signUp.headers.getSetCookie().map((c) => c.split(";")[0]!);
    await fetch(`${origin}/trpc/tenants.create`, {
      method: "POST",
      headers: { ...headers, cookie: cookies.join("; ") },
      body: JSON.stringify({ name: "TTI team" }),
    });
    const context = await browser.newContext();
    await context.addCookies(cookies.map((c) => ({ name: c.split("=")[0]!, value: c.slice(c.indexOf("=") + 1), url: origin })));
    const tti: number[] = [];
    for (let i = 0; i <= ROUNDS; i++) {
      const page = await context.newPage();
      await page.goto(`${origin}/dashboard`, { waitUntil: "commit" });
      await page.getByTestId("team-name").waitFor();
      const ms = await page.evaluate(() => performance.now());
      if (i > 0) tti.push(ms); // the first visit warms the preview server and the Worker
      await page.close();
    }
    return [
      {
        bench: "spa",
        measure: `first-load JS for /dashboard (${dashboard.files} chunks, gzip)`,
        unit: "KB",
        p50: dashboard.kb,
        ...atMost(dashboard.kb, 120, " KB"),
      },
      { bench: "spa", measure: "/dashboard time to interactive, Chromium", unit: "ms", p50: pct(tti, 50), p99: pct(tti, 99) },
    ];
  } finally {
    await browser.close();
    preview.kill("SIGTERM");
  }
};
