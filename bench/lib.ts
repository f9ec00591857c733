// What the benchmarks share: percentiles, the local workerd's CPU, paced and concurrent load, and the
// row every measure reports in `pnpm bench`'s table.
import { readdirSync, readFileSync } from "node:fs";
import type { FakeTelegram } from "../fakes/telegram.ts";

/** What every benchmark gets from `pnpm bench`: the stack's team, set up once. */
export interface BenchContext {
  api: string;
  /** The team's integrator key (default scopes: read, runs). */
  apiKey: string;
  telegram: FakeTelegram;
  webhook: string;
  webhookSecret: string;
  /** Paired Telegram people, each with their own chat. */
  people: { id: number; firstName: string }[];
  agentId: string;
  /** 32 agents (the first is `agentId`), all on the fake model. */
  agentIds: string[];
  /** The fake model's root (its OpenAI API under /v1). */
  modelUrl: string;
}
export type Benchmark = (ctx: BenchContext) => Promise<Measure[]>;

/** One line of the table: a measure, its baseline from the same run, and the target it is held to. */
export interface Measure {
  bench: string;
  measure: string;
  unit: "ms" | "ms CPU" | "/s" | "KB" | "MB" | "count";
  p50: number;
  p99?: number;
  baseline?: { what: string; p50: number; p99?: number };
  /** The measure over its baseline (the statistic the target names), or the absolute figure held to a bound. */
  ratio?: number;
  target?: string;
  pass?: boolean;
}

export const pct = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))] ?? Number.NaN;

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Held to `ratio ≤ max`: the row's ratio, target and verdict. */
export const atMost = (ratio: number, max: number, unit = "×") => ({ ratio, target: `≤ ${max}${unit}`, pass: ratio <= max });

/**
 * Nanoseconds of CPU every workerd thread has used (the stack's Worker, Durable Objects and local D1:
 * on this machine they share one process). schedstat is exact to the nanosecond, where /proc's
 * utime ticks are 10 ms.
 */
export function workerdCpuNs(): number {
  let ns = 0;
  for (const pid of readdirSync("/proc").filter((p) => /^\d+$/.test(p))) {
    try {
      if (!readFileSync(`/proc/${pid}/stat`, "utf8").includes("(workerd)")) continue;
      for (const tid of readdirSync(`/proc/${pid}/task`))
        ns += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, "utf8").split(" ")[0]);
    } catch {}
  }
  return ns;
}

/** Resident memory of every workerd process, in MB. */
export function workerdRssMb(): number {
  let kb = 0;
  for (const pid of readdirSync("/proc").filter((p) => /^\d+$/.test(p)))
    try {
      if (readFileSync(`/proc/${pid}/stat`, "utf8").includes("(workerd)"))
        kb += Number(readFileSync(`/proc/${pid}/status`, "utf8").match(/VmRSS:\s+(\d+)/)?.[1] ?? 0);
    } catch {}
  return kb / 1024;
}

/** Latency and workerd CPU of one call, in ms; the stack must be otherwise idle for the CPU to be its own. */
export async function measured(f: () => Promise<unknown>): Promise<{ ms: number; cpuMs: number }> {
  const cpu0 = workerdCpuNs();
  const t0 = performance.now();
  await f();
  const ms = performance.now() - t0;
  return { ms, cpuMs: (workerdCpuNs() - cpu0) / 1e6 };
}

/**
 * `n` rounds of each of `fs`, interleaved (a, b, a, b…) so that the machine's drift during the run
 * falls on every one alike; `gapMs` between rounds paces them. Returns each one's latencies and CPU.
 */
export async function interleaved(n: number, fs: (() => Promise<unknown>)[], gapMs = 0) {
  const out = fs.map(() => ({ ms: [] as number[], cpuMs: [] as number[] }));
  for (let i = 0; i < n; i++) {
    for (const [k, f] of fs.entries()) {
      const m = await measured(f);
      out[k]!.ms.push(m.ms);
      out[k]!.cpuMs.push(m.cpuMs);
    }
    if (gapMs) await sleep(gapMs);
  }
  return out;
}

/** `n` calls of `f` with `concurrency` in flight: the latencies and the rate. */
export async function concurrent(n: number, concurrency: number, f: (i: number) => Promise<unknown>) {
  const ms: number[] = [];
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < n) {
        const i = next++;
        const s = performance.now();
        await f(i);
        ms.push(performance.now() - s);
      }
    }),
  );
  return { ms, perSecond: n / ((performance.now() - t0) / 1000) };
}

/** A response that must be OK, read to its end. */
export async function ok(res: Promise<Response>): Promise<unknown> {
  const r = await res;
  const body = await r.text();
  if (!r.ok) throw new Error(`${r.url} answered ${r.status}: ${body.slice(0, 300)}`);
  return body;
}
