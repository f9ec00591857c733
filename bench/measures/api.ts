// A tRPC query with an API key (`tenants.list`) against the raw route doing the same D1 read
// (api/src/bench-baselines.ts), interleaved call by call: latency and the stack's workerd CPU.
import { atMost, type Benchmark, interleaved, ok, pct } from "../lib.ts";

const ROUNDS = 300;

export const apiBench: Benchmark = async ({ api, apiKey }) => {
  const headers = { authorization: `Bearer ${apiKey}` };
  const trpc = () => ok(fetch(`${api}/trpc/tenants.list`, { headers }));
  const raw = () => ok(fetch(`${api}/api/bench/teams-of-key`, { headers }));
  await interleaved(30, [trpc, raw]); // warm both paths (isolate, statements, connections)
  const [t, r] = await interleaved(ROUNDS, [trpc, raw]);
  const baseline = (xs: number[]) => ({ what: "raw route, same D1 read", p50: pct(xs, 50), p99: pct(xs, 99) });
  return [
    {
      bench: "api",
      measure: "tenants.list with an API key",
      unit: "ms",
      p50: pct(t!.ms, 50),
      p99: pct(t!.ms, 99),
      baseline: baseline(r!.ms),
      ...atMost(pct(t!.ms, 50) / pct(r!.ms, 50), 1.3),
    },
    {
      bench: "api",
      measure: "tenants.list: workerd CPU",
      unit: "ms CPU",
      p50: pct(t!.cpuMs, 50),
      p99: pct(t!.cpuMs, 99),
      baseline: baseline(r!.cpuMs),
      ratio: pct(t!.cpuMs, 50) / pct(r!.cpuMs, 50),
    },
  ];
};
