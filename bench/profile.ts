// Where the Worker's CPU goes: a V8 CPU profile of the Worker isolate (wrangler dev's DevTools
// inspector) over one workload, summed by function, by package and by the app function that called
// it, heaviest first. Also writes the .cpuprofile (open it in Chrome DevTools' Performance panel) to
// bench/results/, with the bundle's source map beside it.
//   pnpm bench:profile [api|runs|telegram] [--rounds 200] [--top 30]
// (runs: runs.create with the API key, holding its answer until the run succeeded, as the client's createAndWait does)
import { copyFileSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { SourceMap } from "node:module";
import path from "node:path";
import { parseArgs } from "node:util";
import { deliver, update } from "../fakes/telegram.ts";
import { ok, sleep } from "./lib.ts";
import { benchStack } from "./stack.ts";

const { values, positionals } = parseArgs({
  args: process.argv.slice(2).filter((a) => a !== "--"),
  allowPositionals: true,
  options: { rounds: { type: "string", default: "200" }, top: { type: "string", default: "30" } },
});
const workload = positionals[0] ?? "api";
const ROUNDS = Number(values.rounds);
const INSPECTOR_PORT = 9339;

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

const ctx = await benchStack({ INSPECTOR_PORT: String(INSPECTOR_PORT) });
try {
  const targets = (await (await fetch(`http://127.0.0.1:${INSPECTOR_PORT}/json`)).json()) as {
    webSocketDebuggerUrl: string;
    title: string;
  }[];
  const target = targets.find((t) => !t.title.includes("wrangler")) ?? targets[0];
  if (!target) throw new Error("no inspector target");
  // The inspector proxy accepts only a local Origin (a DevTools page's); Node's WebSocket (undici) takes headers.
  const ws = new WebSocket(target.webSocketDebuggerUrl, { headers: { origin: "http://localhost" } } as unknown as string[]);
  await new Promise((r, j) => {
    ws.onopen = r;
    ws.onerror = j;
  });
  let nextId = 1;
  const pending = new Map<number, (v: unknown) => void>();
  ws.onmessage = (m) => {
    const msg = JSON.parse(String(m.data)) as { id?: number; result?: unknown };
    if (msg.id && pending.has(msg.id)) pending.get(msg.id)!(msg.result);
  };
  const send = <T>(method: string, params: object = {}) =>
    new Promise<T>((resolve) => {
      const id = nextId++;
      pending.set(id, resolve as (v: unknown) => void);
      ws.send(JSON.stringify({ id, method, params }));
    });

  const headers = { authorization: `Bearer ${ctx.apiKey}` };
  let n = 0;
  const once =
    workload === "telegram"
      ? async (i: number) => {
          const person = ctx.people[i % ctx.people.length]!;
          const before = ctx.telegram.sentTo(person.id).length;
          await ok(deliver(ctx.webhook, ctx.webhookSecret, update(person, `profile ${n++}`)));
          while (ctx.telegram.sentTo(person.id).length === before) await sleep(5);
        }
      : workload === "runs"
        ? async () => {
            const res = await fetch(`${ctx.api}/trpc/runs.create`, {
              method: "POST",
              headers: { ...headers, "content-type": "application/json" },
              body: JSON.stringify({ agentId: ctx.agentId, input: `profile ${n++}`, waitMs: 30_000 }),
            });
            const { result } = (await res.json()) as { result: { data: { id: string; status: string } } };
            if (result.data.status !== "succeeded") throw new Error(`run ${result.data.id} ${result.data.status}`);
          }
        : async () => ok(fetch(`${ctx.api}/trpc/tenants.list`, { headers }));
  for (let i = 0; i < 20; i++) await once(i); // warm

  await send("Profiler.enable");
  await send("Profiler.setSamplingInterval", { interval: 100 });
  await send("Profiler.start");
  for (let i = 0; i < ROUNDS; i++) await once(i);
  await sleep(300);
  const { profile } = await send<{ profile: Profile }>("Profiler.stop");
  ws.close();

  // Self time per node, from the samples.
  const self = new Map<number, number>();
  for (const [k, id] of profile.samples.entries()) self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[k] ?? 0));
  const byFn = new Map<string, number>();
  const byPkg = new Map<string, number>();
  // The Worker is one bundle: wrangler dev's source map (beside it while the stack runs) names the file.
  const tmp = path.join(import.meta.dirname, "..", ".wrangler", "tmp");
  const bundleDir = readdirSync(tmp)
    .map((d) => path.join(tmp, d))
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)[0]!;
  const map = new SourceMap(JSON.parse(readFileSync(path.join(bundleDir, "index.js.map"), "utf8")));
  const sourceOf = (f: ProfileNode["callFrame"]) => {
    if (!f.url.endsWith("index.js")) return f.url || "(native)";
    const e = map.findEntry(f.lineNumber, f.columnNumber) as { originalSource?: string; originalLine?: number };
    return e.originalSource ? `${e.originalSource}:${(e.originalLine ?? 0) + 1}` : "(bundle)";
  };
  // pnpm's store path names the package (drizzle's own maps leave its name out of the rest).
  const pkgOf = (src: string) => {
    if (src.includes("/api/src/")) return `app: ${src.split("/api/src/")[1]!.split(/[/:]/)[0]}`;
    if (src.includes("/shared/src/")) return "app: shared";
    const store = src.match(/node_modules\/\.pnpm\/((?:@[^+/]+\+)?[^@/]+)@/)?.[1];
    if (store) return store.replace("+", "/");
    if (src.includes("wrangler") || src.includes("middleware-loader")) return "wrangler dev middleware";
    return src.replace(/:\d+$/, "");
  };
  const short = (src: string) => src.replace(/^.*node_modules\/(\.pnpm\/[^/]+\/node_modules\/)?/, "").replace(/^(\.\.\/)+/, "");
  // Library and native self time charged to the app function nearest above it (what the app asked for).
  const parentOf = new Map<number, ProfileNode>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parentOf.set(child, node);
  const isApp = (n: ProfileNode) => sourceOf(n.callFrame).includes("/api/src/");
  const nameOf = (n: ProfileNode) => `${n.callFrame.functionName || "(anonymous)"}  ${short(sourceOf(n.callFrame))}`;
  const byCaller = new Map<string, number>();
  for (const node of profile.nodes) {
    const us = self.get(node.id) ?? 0;
    if (!us) continue;
    const f = node.callFrame;
    const src = sourceOf(f);
    const key = `${f.functionName || "(anonymous)"}  ${short(src)}`;
    byFn.set(key, (byFn.get(key) ?? 0) + us);
    const pkg = f.url ? pkgOf(src) : f.functionName;
    byPkg.set(pkg, (byPkg.get(pkg) ?? 0) + us);
    if (isApp(node) || f.functionName === "(idle)") continue;
    let up = parentOf.get(node.id);
    while (up && !isApp(up)) up = parentOf.get(up.id);
    if (!up) continue;
    const charged = `${f.functionName || "(anonymous)"} ← ${nameOf(up)}`;
    byCaller.set(charged, (byCaller.get(charged) ?? 0) + us);
  }
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  const idle = [...byFn.entries()].filter(([k]) => k.startsWith("(idle)")).reduce((a, [, v]) => a + v, 0);
  const busy = total - idle;
  const top = Number(values.top);
  console.log(`\nWorker isolate CPU profile, ${workload}, ${ROUNDS} rounds: ${(busy / 1000 / ROUNDS).toFixed(2)} ms busy per round`);
  console.log("\nby package (self time, ms per round):");
  for (const [k, v] of [...byPkg.entries()]
    .filter(([k]) => k !== "(idle)")
    .sort((a, b) => b[1] - a[1])
    .slice(0, 20))
    console.log(`  ${(v / 1000 / ROUNDS).toFixed(3).padStart(7)}  ${((100 * v) / busy).toFixed(1).padStart(5)}%  ${k}`);
  console.log("\nby function (self time, ms per round):");
  for (const [k, v] of [...byFn.entries()]
    .filter(([k]) => !k.startsWith("(idle)"))
    .sort((a, b) => b[1] - a[1])
    .slice(0, top))
    console.log(`  ${(v / 1000 / ROUNDS).toFixed(3).padStart(7)}  ${((100 * v) / busy).toFixed(1).padStart(5)}%  ${k}`);
  console.log("\nlibrary and native self time, by the app function that called it (ms per round):");
  for (const [k, v] of [...byCaller.entries()].sort((a, b) => b[1] - a[1]).slice(0, top))
    console.log(`  ${(v / 1000 / ROUNDS).toFixed(3).padStart(7)}  ${((100 * v) / busy).toFixed(1).padStart(5)}%  ${k}`);
  const dir = path.join(import.meta.dirname, "results");
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `profile-${workload}-${new Date().toISOString().replace(/[:.]/g, "-")}.cpuprofile`);
  writeFileSync(file, JSON.stringify(profile));
  // The bundle's map goes beside it: wrangler removes its build folder when the stack stops.
  copyFileSync(path.join(bundleDir, "index.js.map"), `${file}.map`);
  console.log(`\n${file}`);
} finally {
  await ctx.stop();
}
process.exit(0);
