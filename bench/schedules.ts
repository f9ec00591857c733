// Benchmark: the minute's schedule sweep with --schedules (10,000) due in the same minute, through the
// whole local product started as `npm start` does. The sweep is the Worker's cron invocation, so what
// matters is that it stays well inside one invocation's limits (D1 queries, subrequests, CPU, memory);
// the queue consumer then makes the runs, many invocations of its own.
// Measured in the same run, on the same stack:
//   baseline  = the cron invocation with nothing due (reaper, retention and a sweep that finds nothing)
//   one due   = the same with one schedule due
//   all due   = the same with every schedule due at once (a daily 08:00 everyone picked)
// For each: the invocation's wall time, the local workerd's CPU over it (Worker and local D1 together,
// and any consumer work that started meanwhile: an upper bound for the Worker's own), and the D1
// statements and queue sends the sweep reports. Then the drain: how long until the consumer has
// recorded every fire time (each one a run, against the fake model in direct mode).
//   pnpm bench:schedules [--schedules 10000] [--agents 10] [--drain-seconds 300]
import { readdirSync } from "node:fs";
import path from "node:path";
import { DatabaseSync } from "node:sqlite";
import { parseArgs } from "node:util";
import { startFakeModel } from "../fakes/openai.ts";
import { client, startStack } from "../runtime/test/stack.ts";
import { workerdCpuNs, workerdRssMb } from "./lib.ts";

const { values } = parseArgs({
  args: process.argv.slice(2).filter((a) => a !== "--"),
  options: {
    schedules: { type: "string", default: "10000" },
    agents: { type: "string", default: "10" },
    "drain-seconds": { type: "string", default: "300" },
  },
});
const SCHEDULES = Number(values.schedules);
const AGENTS = Number(values.agents);
const DRAIN_S = Number(values["drain-seconds"]);
const PORT = 8897;

// Cloudflare's limits for one invocation on Workers Paid (developers.cloudflare.com, D1 and Workers limits).
const LIMITS = { d1Queries: 1000, subrequests: 10_000, cpuMs: 30_000 };

const fake = await startFakeModel();
const stack = await startStack(PORT, { TENANT_RUNTIME: "direct" });
const c = client(stack.api, `http://127.0.0.1:${PORT + 1}`);
await c.signUpWithTeam("bench-schedules");
await c.call("providerKeys.set", { provider: "custom", apiKey: "sk-bench-000000000", baseUrl: `${fake.url}/v1` });
const agents: string[] = [];
for (let i = 0; i < AGENTS; i++)
  agents.push(
    (await c.call<{ id: string }>("agents.create", { templateId: "daily-briefing", name: `Briefing ${i}`, model: "custom/echo" })).id,
  );

// Every schedule fires at the same minute, twelve hours from now (the stack's own minute ticks never reach it).
const at = new Date(Date.now() + 12 * 3_600_000);
const cron = `${at.getUTCMinutes()} ${at.getUTCHours()} * * *`;

/** tRPC batches of 10 (the Worker's maximum) with 8 in flight: seeding is not what is measured. */
async function createMany(n: number, offset: number): Promise<string[]> {
  const ids: string[] = [];
  let next = 0;
  const batch = async (from: number, count: number) => {
    const procs = Array.from({ length: count }, () => "schedules.create").join(",");
    const body = Object.fromEntries(
      Array.from({ length: count }, (_, k) => [
        k,
        { agentId: agents[(from + k) % agents.length], cron, timezone: "UTC", input: `Morning briefing #${offset + from + k}` },
      ]),
    );
    const res = await fetch(`${stack.api}/trpc/${procs}?batch=1`, { method: "POST", headers: c.headers, body: JSON.stringify(body) });
    const out = (await res.json()) as { result?: { data: { id: string } }; error?: { message: string } }[];
    for (const r of out) {
      if (!r.result) throw new Error(`schedules.create: ${r.error?.message}`);
      ids.push(r.result.data.id);
    }
  };
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (next < n) {
        const from = next;
        next += 10;
        await batch(from, Math.min(10, n - from));
      }
    }),
  );
  return ids;
}

// The local D1 file, read beside workerd (read-only) to count what the consumer recorded.
function d1File(dir: string): string {
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true }))
    if (e.isFile() && e.name.endsWith(".sqlite") && e.parentPath.includes("d1")) return path.join(e.parentPath, e.name);
  throw new Error(`no local D1 under ${dir}`);
}
const firingsRecorded = () => {
  const db = new DatabaseSync(d1File(stack.stateDir), { readOnly: true });
  try {
    return Number((db.prepare("select count(*) as n from schedule_firings").get() as { n: number }).n);
  } finally {
    db.close();
  }
};

/** The sweep's own report, from the line the cron invocation logs. */
function lastSweepReport(since: number) {
  const m = [
    ...stack
      .log()
      .slice(since)
      .matchAll(/cron: (\d+) due schedule fire times handed over \((\d+) queue sends, (\d+) D1 statements\)/g),
  ].at(-1);
  return m ? { due: Number(m[1]), sends: Number(m[2]), statements: Number(m[3]) } : null;
}

async function cronAt(time: number) {
  const since = stack.log().length;
  const cpu0 = workerdCpuNs();
  const t0 = performance.now();
  const res = await fetch(`${stack.api}/cdn-cgi/local/scheduled?time=${time}`);
  await res.text();
  const wall = performance.now() - t0;
  const cpu = (workerdCpuNs() - cpu0) / 1e6;
  if (!res.ok) throw new Error(`scheduled answered ${res.status}`);
  await new Promise((r) => setTimeout(r, 200)); // the log line's way out of wrangler
  // The Worker logs the sweep only when something was due: no line means none due, one D1 read.
  return { wall, cpu, ...(lastSweepReport(since) ?? { due: 0, sends: 0, statements: 1 }) };
}

const fireAt = (() => {
  const d = new Date(at);
  d.setUTCSeconds(0, 0);
  return d.getTime();
})();

console.log(`seeding ${SCHEDULES} schedules on ${AGENTS} agents (cron "${cron}", UTC)…`);
const t0 = performance.now();
const [first] = await createMany(1, 0);
console.log(`  seeded 1 in ${(performance.now() - t0).toFixed(0)} ms`);

const baseline = await cronAt(fireAt - 3_600_000); // nothing due an hour before
const one = await cronAt(fireAt + 1000);
if (one.due !== 1) throw new Error(`expected 1 due, the sweep found ${one.due} (${first})`);
const drainedOne = performance.now();
while (firingsRecorded() < 1) await new Promise((r) => setTimeout(r, 100));
const oneDrainMs = performance.now() - drainedOne;

const t1 = performance.now();
await createMany(SCHEDULES, 1);
console.log(`  seeded ${SCHEDULES} more in ${((performance.now() - t1) / 1000).toFixed(0)} s`);
// The first schedule moved on a day; the rest are due at `fireAt`.
const all = await cronAt(fireAt + 1000);
const drainStart = performance.now();
let recorded = firingsRecorded();
while (recorded < SCHEDULES + 1 && performance.now() - drainStart < DRAIN_S * 1000) {
  await new Promise((r) => setTimeout(r, 1000));
  recorded = firingsRecorded();
}
const drainS = (performance.now() - drainStart) / 1000;
const rss = workerdRssMb();

const row = (name: string, r: Awaited<ReturnType<typeof cronAt>>) =>
  `  ${name.padEnd(22)} ${String(r.due).padStart(6)} due  ${r.wall.toFixed(0).padStart(6)} ms wall  ${r.cpu.toFixed(0).padStart(6)} ms workerd CPU  ${String(r.statements).padStart(3)} D1 statements  ${String(r.sends).padStart(4)} queue sends`;
console.log(`\nSchedule sweep benchmark (wrangler dev, this machine; the cron invocation as a whole)`);
console.log(row("baseline: none due", baseline));
console.log(row("one due", one));
console.log(row(`all due`, all));
console.log(
  `  all due vs baseline: +${(all.wall - baseline.wall).toFixed(0)} ms wall, +${(all.cpu - baseline.cpu).toFixed(0)} ms CPU; per schedule ${(((all.cpu - baseline.cpu) / Math.max(1, all.due)) * 1000).toFixed(0)} µs CPU`,
);
console.log(
  `  limits of one invocation (Workers Paid): ${LIMITS.d1Queries} D1 queries (the sweep used ${all.statements}), ${LIMITS.subrequests} subrequests (${all.sends} sends), ${LIMITS.cpuMs / 1000} s CPU (at most ${(all.cpu / 1000).toFixed(1)} s, consumer work included); workerd RSS after: ${rss.toFixed(0)} MB`,
);
console.log(
  `  drain: the consumer recorded ${recorded - 1} of ${SCHEDULES} fire times in ${drainS.toFixed(0)} s (${((recorded - 1) / drainS).toFixed(0)}/s; one alone: ${oneDrainMs.toFixed(0)} ms after the sweep)`,
);
await stack.stop();
await fake.close();
process.exit(0);
