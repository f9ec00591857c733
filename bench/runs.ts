// Benchmark: runs through the whole local pipeline (wrangler dev: D1 → AgentSession (RUN_QUEUE as the
// backstop) → model → R2) against the fake model, started as `npm start` does but with
// TENANT_RUNTIME=direct: this measures the pipeline; `pnpm bench runtime` measures OpenClaw runtimes.
// Prints figures; asserts nothing.
//   pnpm bench:runs [--runs 600] [--agents 32] [--concurrency 32] [--sequential 50]
// "Platform overhead" = the run's server-side time (createdAt → finishedAt) minus the time the model
// took (the fake records when each request started and ended).
import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { startFakeModel } from "../fakes/openai.ts";

const { values } = parseArgs({
  args: process.argv.slice(2).filter((a) => a !== "--"),
  options: {
    runs: { type: "string", default: "600" },
    agents: { type: "string", default: "32" },
    concurrency: { type: "string", default: "32" },
    sequential: { type: "string", default: "50" },
  },
});
const RUNS = Number(values.runs),
  AGENTS = Number(values.agents),
  CONCURRENCY = Number(values.concurrency),
  SEQUENTIAL = Number(values.sequential);
const PORT = 8817,
  SPA_PORT = 5193;
const api = `http://127.0.0.1:${PORT}`;
const root = path.resolve(import.meta.dirname, "..");

const fake = await startFakeModel();
const stack = spawn(process.execPath, [path.join(root, "scripts/dev.ts")], {
  cwd: root,
  env: {
    ...process.env,
    PORT: String(PORT),
    SPA_PORT: String(SPA_PORT),
    AUTOCLAW_STATE_DIR: mkdtempSync(path.join(tmpdir(), "autoclaw-bench-")),
    TENANT_RUNTIME: "direct",
    RUNTIME_POOL_SIZE: "0",
  },
  stdio: ["ignore", "pipe", "inherit"],
});
await new Promise<void>((resolve, reject) => {
  stack.stdout!.on("data", (d: Buffer) => d.toString().includes("AutoClaw is running") && resolve());
  stack.on("exit", () => reject(new Error("the stack exited")));
});
const stop = () => stack.kill("SIGTERM");
process.on("exit", stop);

let headers: Record<string, string> = { "content-type": "application/json", origin: `http://127.0.0.1:${SPA_PORT}` };
async function call<T>(proc: string, input: unknown, kind: "query" | "mutation" = "mutation"): Promise<T> {
  const url = kind === "query" ? `${api}/trpc/${proc}?input=${encodeURIComponent(JSON.stringify(input))}` : `${api}/trpc/${proc}`;
  const res = await fetch(url, {
    method: kind === "query" ? "GET" : "POST",
    headers,
    ...(kind === "mutation" && { body: JSON.stringify(input) }),
  });
  const body = (await res.json()) as { result?: { data: T }; error?: { message: string } };
  if (!body.result) throw new Error(`${proc}: ${body.error?.message}`);
  return body.result.data;
}

// Set-up: an account, a team, an API key (the integrator path), a custom key on the fake, agents.
const signUp = await fetch(`${api}/api/auth/sign-up/email`, {
  method: "POST",
  headers,
  body: JSON.stringify({ name: "Bench", email: `bench-${Date.now()}@example.com`, password: "benchmark password" }),
});
headers.cookie = signUp.headers
  .getSetCookie()
  .map((c) => c.split(";")[0])
  .join("; ");
const team = await call<{ id: string }>("tenants.create", { name: "Bench" });
headers["x-tenant-id"] = team.id;
// An admin sets the team up; the runs then go through an API key with its default scopes (read, runs).
const { key } = await call<{ key: string }>("apiKeys.create", { name: "bench" });
await call("providerKeys.set", { provider: "custom", apiKey: "sk-bench-key-000000", baseUrl: `${fake.url}/v1` });
const agents: string[] = [];
for (let i = 0; i < AGENTS; i++)
  agents.push((await call<{ id: string }>("agents.create", { templateId: "personal-assistant", name: `a${i}`, model: "custom/echo" })).id);
headers = { "content-type": "application/json", authorization: `Bearer ${key}` };

interface Run {
  id: string;
  status: string;
  input: string;
  createdAt: string;
  finishedAt: string | null;
}
/** Waits with two cheap queries per tick (anything still queued or running?), then reads the runs. */
async function waitAll(ids: string[]): Promise<Run[]> {
  // One run: one small read per tick, so the bench's own polling adds little load next to the run.
  if (ids.length === 1) {
    for (;;) {
      const run = await call<Run>("runs.get", { id: ids[0] }, "query");
      if (run.status !== "queued" && run.status !== "running") return [run];
      await new Promise((res) => setTimeout(res, 20));
    }
  }
  for (;;) {
    const [q, r] = await Promise.all(
      ["queued", "running"].map((status) => call<{ items: Run[] }>("runs.list", { status, limit: 1 }, "query")),
    );
    if (!q!.items.length && !r!.items.length) break;
    await new Promise((res) => setTimeout(res, 20));
  }
  const all = new Map<string, Run>();
  let cursor: string | undefined;
  do {
    const page = await call<{ items: Run[]; nextCursor: string | null }>("runs.list", { limit: 100, ...(cursor && { cursor }) }, "query");
    for (const run of page.items) all.set(run.id, run);
    cursor = page.nextCursor ?? undefined;
  } while (cursor && ids.some((id) => !all.has(id)));
  return ids.map((id) => all.get(id)!);
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};
function overheads(runs: Run[]): number[] {
  return runs.map((r) => {
    const req = fake.requests.find((q) => q.messages.at(-1)?.content === r.input)!;
    return new Date(r.finishedAt!).getTime() - new Date(r.createdAt).getTime() - (req.endedAt! - req.startedAt);
  });
}

// 1. Sequential: one run at a time, each waited for (latency with an idle pipeline).
const seq: Run[] = [];
for (let i = 0; i < SEQUENTIAL; i++) {
  const { id } = await call<{ id: string }>("runs.create", { agentId: agents[i % AGENTS], input: `seq ${i} ${Date.now()}` });
  seq.push(...(await waitAll([id])));
}
const seqOver = overheads(seq);

// 2. Throughput: RUNS runs created by CONCURRENCY concurrent clients across AGENTS agents.
const t0 = performance.now();
const ids: string[] = [];
let next = 0;
await Promise.all(
  Array.from({ length: CONCURRENCY }, async () => {
    while (next < RUNS) {
      const i = next++;
      ids.push((await call<{ id: string }>("runs.create", { agentId: agents[i % AGENTS], input: `load ${i} ${Date.now()}` })).id);
    }
  }),
);
const created = performance.now();
const loadRuns = await waitAll(ids);
const firstCreated = Math.min(...loadRuns.map((r) => new Date(r.createdAt).getTime()));
const lastFinished = Math.max(...loadRuns.map((r) => new Date(r.finishedAt!).getTime()));
const loadOver = overheads(loadRuns);

console.log(`\nRuns pipeline benchmark (wrangler dev, local D1/queue/DO/R2, fake model; ${AGENTS} agents)`);
console.log(
  `  sequential: ${SEQUENTIAL} runs, platform overhead p50 ${pct(seqOver, 50)} ms, p90 ${pct(seqOver, 90)} ms, p99 ${pct(seqOver, 99)} ms`,
);
console.log(
  `  load: ${RUNS} runs from ${CONCURRENCY} clients: created in ${((created - t0) / 1000).toFixed(2)} s, all finished ${((lastFinished - firstCreated) / 1000).toFixed(2)} s after the first was created`,
);
console.log(
  `  throughput: ${(RUNS / ((lastFinished - firstCreated) / 1000)).toFixed(1)} runs/s end to end; ${loadRuns.filter((r) => r.status === "succeeded").length}/${RUNS} succeeded`,
);
console.log(`  under load, platform overhead p50 ${pct(loadOver, 50)} ms, p90 ${pct(loadOver, 90)} ms, p99 ${pct(loadOver, 99)} ms`);
stop();
await fake.close();
process.exit(0);
