// Tenant runtimes, on their own stack (the run command's: wrangler dev and the runtime host with real
// openclaw gateways, one warm gateway in the pool), against the fake model:
//   warm turn overhead = a run's createdAt → finishedAt minus its agentMs (the time the executor
//                        measured around the gateway call: the gateway called directly and the model),
//                        i.e. what AutoClaw adds to a turn;
//   cold start         = a stopped team's first run, createdAt → finishedAt, claiming the pool's warm
//                        gateway, against the same with the pool empty (a plain gateway spawn), in the
//                        same run;
//   live output        = a reply's first token leaving the fake model → a runs.events watcher reading
//                        it, against the fake read directly (the row's ratio is the difference, ms);
//   idle tenants / GB  = 1 GB over an idle gateway's resident memory (its process and helpers) after
//                        its turns; a stopped runtime holds none.
import { execSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { startFakeModel } from "../../fakes/openai.ts";
import { client, startStack, waitForPool } from "../../runtime/test/stack.ts";
import { atMost, type Benchmark, pct, sleep } from "../lib.ts";

const PORT = 8867;
const WARM = 30;
const LIVE = 20;

export const runtimeBench: Benchmark = async () => {
  const fake = await startFakeModel();
  // One warm gateway, not replaced after its claim: the second cold start is a plain spawn.
  const stack = await startStack(PORT, { RUNTIME_POOL_SIZE: "1", RUNTIME_POOL_REFILL_MS: "3600000" });
  try {
    const c = client(stack.api, `http://127.0.0.1:${PORT + 1}`);
    const secret = readFileSync(path.resolve(import.meta.dirname, "../..", ".dev.vars"), "utf8").match(/^RUNTIME_HOST_SECRET=(.+)$/m)![1]!;
    const team = await c.signUpWithTeam("bench-runtime");
    await c.call("providerKeys.set", { provider: "custom", apiKey: "sk-bench-000000000", baseUrl: `${fake.url}/v1` });
    const agent = await c.call<{ id: string }>("agents.create", { templateId: "personal-assistant", name: "Bench", model: "custom/echo" });
    const run = async (input: string) => {
      const { id } = await c.call<{ id: string }>("runs.create", { agentId: agent.id, input });
      for (;;) {
        const r = await c.query<{ status: string; createdAt: string; finishedAt: string | null; agentMs: number | null }>("runs.get", {
          id,
        });
        if (r.status === "succeeded")
          return { total: new Date(r.finishedAt!).getTime() - new Date(r.createdAt).getTime(), agent: r.agentMs ?? 0 };
        if (r.status === "failed" || r.status === "canceled") throw new Error(`run ${id} ${r.status}`);
        await sleep(50);
      }
    };

    await waitForPool(PORT + 2, 1);
    const pooled = await run("cold start from the pool");
    await run("settle");
    const warm: { total: number; agent: number }[] = [];
    for (let i = 0; i < WARM; i++) warm.push(await run(`warm ${i}`));

    const status = (await (
      await fetch(`http://127.0.0.1:${PORT + 2}/tenants/${team.id}/status`, { headers: { authorization: `Bearer ${secret}` } })
    ).json()) as { pid: number };
    await sleep(3000);
    const rssKb = (pid: number) => Number(readFileSync(`/proc/${pid}/status`, "utf8").match(/VmRSS:\s+(\d+)/)![1]);
    const helpers = execSync(`pgrep -P ${status.pid} || true`).toString().split("\n").filter(Boolean).map(Number);
    const idleMb = (rssKb(status.pid) + helpers.reduce((n, p) => n + rssKb(p), 0)) / 1024;

    // Live output: how late a reply's first token reaches a watcher of runs.events (the fake model
    // writes it → OpenClaw → the model proxy → the gateway's SSE → the runtime host → the
    // AgentSession's event log → runs.events → this client), against the fake read directly, one
    // turn each by turns. The fake runs in this process, so both ends read one clock.
    const firstTokenOut = new Map<string, number>();
    fake.onRequest = (rec, phase) => {
      const tag = String(rec.messages.at(-1)?.content ?? "").match(/live-(?:direct-)?-?\d+/)?.[0];
      if (phase === "first-token" && tag) firstTokenOut.set(tag, performance.now());
    };
    const drip = await c.call<{ id: string }>("agents.create", { templateId: "personal-assistant", name: "Drip", model: "custom/drip-20" });
    const throughPlatform = async (i: number) => {
      const tag = `live-${i}`;
      const { id } = await c.call<{ id: string }>("runs.create", { agentId: drip.id, input: `${tag} one two three` });
      const res = await fetch(`${stack.api}/trpc/runs.events?input=${encodeURIComponent(JSON.stringify({ runId: id }))}`, {
        headers: c.headers,
      });
      let tail = "";
      let firstAt: number | undefined;
      const decoder = new TextDecoder();
      for await (const chunk of res.body!) {
        tail += decoder.decode(chunk, { stream: true });
        if (firstAt === undefined && tail.includes('"type":"token"')) firstAt = performance.now();
        if (tail.includes('"type":"done"')) break;
      }
      await res.body?.cancel().catch(() => undefined);
      if (firstAt === undefined || !firstTokenOut.has(tag)) throw new Error(`live turn ${i}: no token seen`);
      return firstAt - firstTokenOut.get(tag)!;
    };
    const direct = async (i: number) => {
      const tag = `live-direct-${i}`;
      const res = await fetch(`${fake.url}/v1/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ model: "drip-20", stream: true, messages: [{ role: "user", content: `${tag} one two three` }] }),
      });
      let firstAt: number | undefined;
      for await (const chunk of res.body!)
        if (firstAt === undefined && new TextDecoder().decode(chunk).includes('"content"')) firstAt = performance.now();
      return firstAt! - firstTokenOut.get(tag)!;
    };
    await throughPlatform(-1); // a first turn of another agent warms OpenClaw for it
    const live: number[] = [];
    const liveDirect: number[] = [];
    for (let i = 0; i < LIVE; i++) {
      liveDirect.push(await direct(i));
      live.push(await throughPlatform(i));
    }

    await c.call("runtime.stop");
    const spawned = await run("cold start, pool empty");

    const overhead = warm.map((w) => w.total - w.agent);
    const agentMs = warm.map((w) => w.agent);
    return [
      {
        bench: "runtime",
        measure: "warm turn: platform overhead",
        unit: "ms",
        p50: pct(overhead, 50),
        p99: pct(overhead, 99),
        baseline: { what: "the gateway called (agentMs)", p50: pct(agentMs, 50), p99: pct(agentMs, 99) },
        ...atMost(pct(overhead, 50), 25, " ms"),
        pass: pct(overhead, 50) < 25,
        target: "< 25 ms",
      },
      {
        bench: "runtime",
        measure: "cold start, pooled (stopped → first reply)",
        unit: "ms",
        p50: pooled.total,
        baseline: { what: "plain gateway spawn, same run", p50: spawned.total },
        ...atMost(pooled.total / spawned.total, 0.4),
      },
      {
        bench: "runtime",
        measure: "model first token → runs.events watcher",
        unit: "ms",
        p50: pct(live, 50),
        p99: pct(live, 99),
        baseline: { what: "the fake model read directly", p50: pct(liveDirect, 50), p99: pct(liveDirect, 99) },
        ratio: pct(live, 50) - pct(liveDirect, 50),
        target: "+ < 30 ms",
        pass: pct(live, 50) - pct(liveDirect, 50) < 30,
      },
      { bench: "runtime", measure: "idle tenants per GB (stopped: no memory)", unit: "count", p50: 1024 / idleMb },
      { bench: "runtime", measure: "idle gateway RSS", unit: "MB", p50: idleMb },
    ];
  } finally {
    await stack.stop();
    await fake.close();
  }
};
