// `runs.create` with an API key → the run `succeeded` (TENANT_RUNTIME=direct, the zero-latency fake
// model) against the raw route doing the same D1 work, Durable Object call, model call and R2 write
// in one request (api/src/bench-baselines.ts). Latency is the server's own, insert to finish (a run's
// createdAt → finishedAt; the route's own clock), one run at a time, interleaved with the baseline;
// throughput is runs finished per second with 32 clients, each creating a run and waiting for it (the
// product's clients poll runs.get every 25 ms, as a client without the live stream would).
import { atMost, type Benchmark, concurrent, pct, sleep } from "../lib.ts";

const SEQUENTIAL = 100;
const LOAD = 320;
const CLIENTS = 32;

export const runsBench: Benchmark = async ({ api, apiKey, agentIds, modelUrl }) => {
  const headers = { authorization: `Bearer ${apiKey}`, "content-type": "application/json" };
  let n = 0;
  const trpc = async <T>(path: string, init?: RequestInit): Promise<T> => {
    const res = await fetch(`${api}/trpc/${path}`, { headers, ...init });
    const body = (await res.json()) as { result?: { data: T }; error?: { message: string } };
    if (!body.result) throw new Error(`${path}: ${body.error?.message}`);
    return body.result.data;
  };
  /** The product: create, then wait for the run's end; its server-side time. */
  const product = async (agentId: string) => {
    const { id } = await trpc<{ id: string }>("runs.create", {
      method: "POST",
      body: JSON.stringify({ agentId, input: `bench run ${n++}` }),
    });
    for (;;) {
      const run = await trpc<{ status: string; createdAt: string; finishedAt: string | null }>(
        `runs.get?input=${encodeURIComponent(JSON.stringify({ id }))}`,
      );
      if (run.status === "succeeded") return new Date(run.finishedAt!).getTime() - new Date(run.createdAt).getTime();
      if (run.status !== "queued" && run.status !== "running") throw new Error(`run ${id} ${run.status}`);
      await sleep(25);
    }
  };
  const baseline = async (agentId: string) => {
    const res = await fetch(`${api}/api/bench/run`, {
      method: "POST",
      headers,
      body: JSON.stringify({ agentId, input: `raw run ${n++}`, modelUrl: `${modelUrl}/v1/chat/completions` }),
    });
    if (!res.ok) throw new Error(`/api/bench/run answered ${res.status}: ${await res.text()}`);
    return ((await res.json()) as { ms: number }).ms;
  };
  for (let i = 0; i < 10; i++) await Promise.all([product(agentIds[0]!), baseline(agentIds[0]!)]); // warm

  const seq: number[] = [];
  const raw: number[] = [];
  for (let i = 0; i < SEQUENTIAL; i++) {
    seq.push(await product(agentIds[i % agentIds.length]!));
    raw.push(await baseline(agentIds[i % agentIds.length]!));
  }
  const loadRaw = await concurrent(LOAD, CLIENTS, (i) => baseline(agentIds[i % CLIENTS]!));
  const load = await concurrent(LOAD, CLIENTS, (i) => product(agentIds[i % CLIENTS]!));
  return [
    {
      bench: "runs",
      measure: "runs.create → succeeded (server time)",
      unit: "ms",
      p50: pct(seq, 50),
      p99: pct(seq, 99),
      baseline: { what: "raw route, same work", p50: pct(raw, 50), p99: pct(raw, 99) },
      ...atMost(pct(seq, 50) / Math.max(1, pct(raw, 50)), 1.5),
    },
    {
      bench: "runs",
      measure: `throughput, ${CLIENTS} clients`,
      unit: "/s",
      p50: load.perSecond,
      baseline: { what: "raw route, same clients", p50: loadRaw.perSecond },
      ratio: load.perSecond / loadRaw.perSecond,
      target: "≥ 0.7×",
      pass: load.perSecond / loadRaw.perSecond >= 0.7,
    },
  ];
};
