// Benchmark: tenant runtimes through the whole local product (run command: wrangler dev + runtime
// host with real openclaw gateways) and the fake model. Prints figures; asserts nothing.
//   pnpm bench:runtime [--warm 30] [--cold 1]
// cold start  = a stopped tenant's first run, createdAt → finishedAt (server clock): claiming the
//               runtime host's warm pool gateway (--cold times, the pool refilled in between), and
//               once with the pool empty (a plain spawn; only with --cold 1)
// warm turn   = the same for later runs, one at a time
// overhead    = warm turn minus the run's agentMs (the time inside the gateway and the model, as the
//               executor measured it around the gateway call), i.e. what AutoClaw adds
// memory      = RSS of the idle gateway process (and its helpers) after the turns
import { execSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { startFakeModel } from "../fakes/openai.ts";
import { client, startStack, waitForPool } from "../runtime/test/stack.ts";

const { values } = parseArgs({
  args: process.argv.slice(2).filter((a) => a !== "--"),
  options: { warm: { type: "string", default: "30" }, cold: { type: "string", default: "1" } },
});
const WARM = Number(values.warm);
const COLD = Number(values.cold);
const PORT = 8867;
const fake = await startFakeModel();
// One warm gateway, replaced 8 s after a claim (once that cold start is over) when there are several;
// with one it is not replaced, so the last cold start is a plain spawn.
const stack = await startStack(PORT, { RUNTIME_POOL_SIZE: "1", RUNTIME_POOL_REFILL_MS: String(COLD > 1 ? 8_000 : 3_600_000) });
const c = client(stack.api, `http://127.0.0.1:${PORT + 1}`);
const secret = readFileSync(path.resolve(import.meta.dirname, "..", ".dev.vars"), "utf8").match(/^RUNTIME_HOST_SECRET=(.+)$/m)![1]!;
const hostUrl = `http://127.0.0.1:${PORT + 2}`;

const team = await c.signUpWithTeam("bench");
await c.call("providerKeys.set", { provider: "custom", apiKey: "sk-bench-000000000", baseUrl: `${fake.url}/v1` });
const agent = await c.call<{ id: string }>("agents.create", { templateId: "personal-assistant", name: "Bench", model: "custom/echo" });

interface Run {
  status: string;
  createdAt: string;
  finishedAt: string | null;
  agentMs: number | null;
}
async function run(input: string): Promise<{ total: number; agent: number }> {
  const { id } = await c.call<{ id: string }>("runs.create", { agentId: agent.id, input });
  for (;;) {
    const r = await c.query<Run>("runs.get", { id });
    if (r.status === "succeeded")
      return { total: new Date(r.finishedAt!).getTime() - new Date(r.createdAt).getTime(), agent: r.agentMs ?? 0 };
    if (r.status === "failed") throw new Error(`run failed`);
    await new Promise((res) => setTimeout(res, 50));
  }
}
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;

const coldPooled: { total: number; agent: number }[] = [];
for (let i = 0; i < COLD; i++) {
  if (i > 0) await c.call("runtime.stop");
  await waitForPool(PORT + 2, 1);
  coldPooled.push(await run(`cold start ${i + 1}`));
}
if (COLD > 1) await waitForPool(PORT + 2, 1); // the refill's spawn would slow the warm turns
await run("first warm turn"); // settle
const warm: { total: number; agent: number }[] = [];
for (let i = 0; i < WARM; i++) warm.push(await run(`warm ${i}`));

const status = (await (await fetch(`${hostUrl}/tenants/${team.id}/status`, { headers: { authorization: `Bearer ${secret}` } })).json()) as {
  pid: number;
};
await new Promise((r) => setTimeout(r, 3000));
const rssKb = (pid: number) => Number(readFileSync(`/proc/${pid}/status`, "utf8").match(/VmRSS:\s+(\d+)/)![1]);
const children = execSync(`pgrep -P ${status.pid} || true`).toString().split("\n").filter(Boolean).map(Number);
const gatewayMb = rssKb(status.pid) / 1024;
const helpersMb = children.reduce((n, p) => n + rssKb(p), 0) / 1024;

await c.call("runtime.stop");
const coldSpawn = COLD === 1 ? await run("cold start without a pool") : undefined;

const overhead = warm.map((w) => w.total - w.agent);
console.log(`\nTenant runtime benchmark (openclaw 2026.9.6, host driver, fake model, this machine)`);
const secs = (ms: number) => (ms / 1000).toFixed(2);
if (COLD === 1)
  console.log(
    `  cold start (stopped → first reply), warm pool gateway claimed: ${secs(coldPooled[0]!.total)} s (of which in the gateway ${secs(coldPooled[0]!.agent)} s)`,
  );
else {
  const totals = coldPooled.map((r) => r.total).sort((a, b) => a - b);
  console.log(`  cold start (stopped → first reply), warm pool gateway claimed, ${COLD} runs: ${totals.map(secs).join(", ")} s`);
  console.log(
    `    each as total (the turn inside the gateway): ${coldPooled.map((r) => `${secs(r.total)} (${secs(r.agent)})`).join(", ")} s`,
  );
  console.log(
    `    median ${secs(pct(totals, 50))} s, max ${secs(totals.at(-1)!)} s, under 5 s: ${totals.filter((t) => t < 5000).length} of ${COLD}`,
  );
}
if (coldSpawn) console.log(`  cold start, pool empty (plain spawn):                          ${secs(coldSpawn.total)} s`);
console.log(
  `  warm turn end to end: p50 ${pct(
    warm.map((w) => w.total),
    50,
  )} ms, p90 ${pct(
    warm.map((w) => w.total),
    90,
  )} ms (${WARM} runs)`,
);
console.log(
  `  of which in the gateway and the model: p50 ${pct(
    warm.map((w) => w.agent),
    50,
  )} ms`,
);
console.log(`  platform overhead per warm turn (end to end − agent time): p50 ${pct(overhead, 50)} ms, p90 ${pct(overhead, 90)} ms`);
console.log(`  idle gateway RSS: ${gatewayMb.toFixed(0)} MB (+ ${helpersMb.toFixed(0)} MB in ${children.length} helper processes)`);
await stack.stop();
await fake.close();
process.exit(0);
