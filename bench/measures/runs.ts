// `runs.create` with an API key → the run `succeeded` (TENANT_RUNTIME=direct, the zero-latency fake
// model) against the raw route doing the same D1 work, Durable Object call, model call and R2 write
// in one request (api/src/bench-baselines.ts). Latency is the server's own, insert to finish (a run's
// createdAt → finishedAt; the route's own clock), one run at a time, interleaved with the baseline;
// throughput is runs finished per second with 32 clients, each creating a run and waiting for it.
// The client waits as the product's own client does (`createAndWait`): the create holds its answer
// until the run ends (`waitMs`), one request per run as the baseline's. A client that polls runs.get
// every 25 ms instead is measured too, printed without a target.
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
  type RunRead = { status: string; createdAt: string; finishedAt: string | null };
  const serverTime = (id: string, run: RunRead) => {
    if (run.status === "succeeded") return new Date(run.finishedAt!).getTime() - new Date(run.createdAt).getTime();
    if (run.status !== "queued" && run.status !== "running") throw new Error(`run ${id} ${run.status}`);
    return undefined;
  };
  /** The product: create, then wait for the run's end (the create holding for it, or polls); its server-side time. */
  const product = async (agentId: string, polls = false) => {
    const { id, run } = await trpc<{ id: string; run?: RunRead }>("runs.create", {
      method: "POST",
      body: JSON.stringify({ agentId, input: `bench run ${n++}`, ...(!polls && { waitMs: 30_000 }) }),
    });
    const held = run && serverTime(id, run);
    if (held !== undefined) return held;
    for (;;) {
      const ms = serverTime(id, await trpc<RunRead>(`runs.get?input=${encodeURIComponent(JSON.stringify({ id }))}`));
      if (ms !== undefined) return ms;
      await sleep(25);
    }
  };
  const polling = (agentId: string) => product(agentId, true);
  const baseline = async (agentId: string) => {
    const res = await fetch(`${api}/api/bench/run`, {
      method: "POST",
      headers,
      body: JSON.stringify({ agentId, input: `raw run ${n++}`, modelUrl: `${modelUrl}/v1/chat/completions` }),
    });
    if (!res.ok) throw new Error(`/api/bench/run answered ${res.status}: ${await res.text()}`);
    return ((await res.json()) as { ms: number }).ms;
  };
  for (let i = 0; i < 10; i++) await Promise.all([product(agentIds[0]!), polling(agentIds[0]!), baseline(agentIds[0]!)]); // warm

  const seq: number[] = [];
  const seqPolled: number[] = [];
  const raw: number[] = [];
  for (let i = 0; i < SEQUENTIAL; i++) {
    const agent = agentIds[i % agentIds.length]!;
    seq.push(await product(agent));
    raw.push(await baseline(agent));
    seqPolled.push(await polling(agent));
  }
  const loadRaw = await concurrent(LOAD, CLIENTS, (i) => baseline(agentIds[i % CLIENTS]!));
  const load = await concurrent(LOAD, CLIENTS, (i) => product(agentIds[i % CLIENTS]!));
  const loadPolled = await concurrent(LOAD, CLIENTS, (i) => polling(agentIds[i % CLIENTS]!));
  return [
    {
      bench: "runs",
      measure: "runs.create → succeeded (server time), create holding",
      unit: "ms",
      p50: pct(seq, 50),
      p99: pct(seq, 99),
      baseline: { what: "raw route, same work", p50: pct(raw, 50), p99: pct(raw, 99) },
      ...atMost(pct(seq, 50) / Math.max(1, pct(raw, 50)), 1.5),
    },
    {
      bench: "runs",
      measure: `throughput, ${CLIENTS} clients, create holding`,
      unit: "/s",
      p50: load.perSecond,
      baseline: { what: "raw route, same clients", p50: loadRaw.perSecond },
      ratio: load.perSecond / loadRaw.perSecond,
      target: "≥ 0.7×",
      pass: load.perSecond / loadRaw.perSecond >= 0.7,
    },
    {
      bench: "runs",
      measure: "server time, client polling runs.get",
      unit: "ms",
      p50: pct(seqPolled, 50),
      p99: pct(seqPolled, 99),
      baseline: { what: "raw route, same work", p50: pct(raw, 50), p99: pct(raw, 99) },
      ratio: pct(seqPolled, 50) / Math.max(1, pct(raw, 50)),
    },
    {
      bench: "runs",
      measure: `throughput, ${CLIENTS} clients polling`,
      unit: "/s",
      p50: loadPolled.perSecond,
      baseline: { what: "raw route, same clients", p50: loadRaw.perSecond },
      ratio: loadPolled.perSecond / loadRaw.perSecond,
    },
  ];
};
