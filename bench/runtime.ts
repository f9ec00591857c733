// Benchmark: tenant runtimes through the whole local product (run command: wrangler dev + runtime
// host with real openclaw gateways) and the fake model. Prints figures; asserts nothing.
//   pnpm bench:runtime [--warm 20]
// cold start  = a stopped tenant's first run, createdAt → finishedAt (server clock)
// warm turn   = the same for later runs, one at a time
// overhead    = warm turn minus the same turn sent straight to the gateway through the runtime host
//               (the time inside the gateway and the model), i.e. what AutoClaw adds
// memory      = RSS of the idle gateway process (and its helpers) after the turns
import { execSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { startFakeModel } from "../e2e/fakes/openai.ts";
import { client, startStack } from "../runtime/test/stack.ts";

const { values } = parseArgs({ args: process.argv.slice(2).filter((a) => a !== "--"), options: { warm: { type: "string", default: "20" } } });
const WARM = Number(values.warm);
const PORT = 8867;
const fake = await startFakeModel();
const stack = await startStack(PORT);
const c = client(stack.api, `http://127.0.0.1:${PORT + 1}`);
const secret = readFileSync(path.resolve(import.meta.dirname, "..", ".dev.vars"), "utf8").match(/^RUNTIME_HOST_SECRET=(.+)$/m)![1]!;
const hostUrl = `http://127.0.0.1:${PORT + 2}`;

const team = await c.signUpWithTeam("bench");
await c.call("providerKeys.set", { provider: "custom", apiKey: "sk-bench-000000000", baseUrl: `${fake.url}/v1` });
const agent = await c.call<{ id: string }>("agents.create", { templateId: "personal-assistant", name: "Bench", model: "custom/echo" });

interface Run { status: string; createdAt: string; finishedAt: string | null }
async function run(input: string): Promise<number> {
  const { id } = await c.call<{ id: string }>("runs.create", { agentId: agent.id, input });
  for (;;) {
    const r = await c.query<Run>("runs.get", { id });
    if (r.status === "succeeded") return new Date(r.finishedAt!).getTime() - new Date(r.createdAt).getTime();
    if (r.status === "failed") throw new Error(`run failed`);
    await new Promise((res) => setTimeout(res, 20));
  }
}
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;

const cold = await run("cold start");
await run("first warm turn"); // the gateway's first turn of a session pays its own one-off set-up
const warm: number[] = [];
for (let i = 0; i < WARM; i++) warm.push(await run(`warm ${i}`));

// The same kind of turn, straight to the gateway through the runtime host: gateway + model time.
const direct: number[] = [];
for (let i = 0; i < WARM; i++) {
  const t0 = performance.now();
  const res = await fetch(`${hostUrl}/tenants/${team.id}/gateway/v1/chat/completions`, {
    method: "POST",
    headers: { authorization: `Bearer ${secret}`, "content-type": "application/json", "x-openclaw-session-key": `agent:${agent.id}:bench:${i}` },
    body: JSON.stringify({ model: `openclaw/${agent.id}`, messages: [{ role: "user", content: `direct ${i}` }] }),
  });
  await res.text();
  direct.push(performance.now() - t0);
}

const status = (await (await fetch(`${hostUrl}/tenants/${team.id}/status`, { headers: { authorization: `Bearer ${secret}` } })).json()) as { pid: number };
await new Promise((r) => setTimeout(r, 3000));
const rssKb = (pid: number) => Number(readFileSync(`/proc/${pid}/status`, "utf8").match(/VmRSS:\s+(\d+)/)![1]);
const children = execSync(`pgrep -P ${status.pid} || true`).toString().split("\n").filter(Boolean).map(Number);
const gatewayMb = rssKb(status.pid) / 1024;
const helpersMb = children.reduce((n, p) => n + rssKb(p), 0) / 1024;

console.log(`\nTenant runtime benchmark (openclaw 2026.9.6, host driver, fake model, this machine)`);
console.log(`  cold start (stopped → first reply): ${(cold / 1000).toFixed(2)} s`);
console.log(`  warm turn end to end: p50 ${pct(warm, 50)} ms, p90 ${pct(warm, 90)} ms (${WARM} runs)`);
console.log(`  same turn straight to the gateway: p50 ${pct(direct, 50).toFixed(0)} ms, p90 ${pct(direct, 90).toFixed(0)} ms`);
console.log(`  platform overhead per warm turn (p50 difference): ${(pct(warm, 50) - pct(direct, 50)).toFixed(0)} ms`);
console.log(`  idle gateway RSS: ${gatewayMb.toFixed(0)} MB (+ ${helpersMb.toFixed(0)} MB in ${children.length} helper processes)`);
await stack.stop();
await fake.close();
process.exit(0);
