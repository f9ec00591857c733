// `pnpm bench [name…]`: the benchmarks that hold the Worker to ratios against baselines measured in the
// same run, against one fresh local stack (the run command's, with the fake model, the fake Bot API,
// TENANT_RUNTIME=direct and the raw baseline routes on). Prints one table and writes it as JSON to
// bench/results/ (git-ignored). Each benchmark bounds its own load; see bench/README.md.
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import type { Benchmark, Measure } from "./lib.ts";
import { apiBench } from "./measures/api.ts";
import { runsBench } from "./measures/runs.ts";
import { runtimeBench } from "./measures/runtime.ts";
import { spaBench } from "./measures/spa.ts";
import { telegramBench } from "./measures/telegram.ts";
import { benchStack } from "./stack.ts";

const BENCHMARKS: Record<string, Benchmark> = {
  api: apiBench,
  runs: runsBench,
  telegram: telegramBench,
  spa: spaBench,
  runtime: runtimeBench,
};

const { positionals } = parseArgs({ args: process.argv.slice(2).filter((a) => a !== "--"), allowPositionals: true });
const unknown = positionals.filter((n) => !(n in BENCHMARKS));
if (unknown.length) {
  console.error(`unknown benchmark ${unknown.join(", ")}: one of ${Object.keys(BENCHMARKS).join(", ")}`);
  process.exit(2);
}
const chosen = positionals.length ? positionals : Object.keys(BENCHMARKS);

const ctx = await benchStack();
try {
  const rows: Measure[] = [];
  for (const name of chosen) {
    console.log(`bench ${name}…`);
    rows.push(...(await BENCHMARKS[name]!(ctx)));
  }
  print(rows);
  const dir = path.join(import.meta.dirname, "results");
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${new Date().toISOString().replace(/[:.]/g, "-")}.json`);
  writeFileSync(file, `${JSON.stringify({ at: new Date().toISOString(), benchmarks: chosen, measures: rows }, null, 2)}\n`);
  console.log(
    `\n${rows.filter((r) => r.pass === false).length} of ${rows.filter((r) => r.pass !== undefined).length} targets missed; ${file}`,
  );
} finally {
  await ctx.stop();
}
process.exit(0);

function print(rows: Measure[]) {
  const n = (v: number | undefined, unit = "") => (v === undefined ? "—" : `${v < 10 ? v.toFixed(2) : v.toFixed(1)}${unit}`);
  const table = [
    ["bench", "measure", "p50", "p99", "baseline", "base p50", "base p99", "ratio", "target", ""],
    ...rows.map((r) => [
      r.bench,
      r.measure,
      n(r.p50, ` ${r.unit}`),
      n(r.p99),
      r.baseline?.what ?? "—",
      n(r.baseline?.p50),
      n(r.baseline?.p99),
      n(r.ratio),
      r.target ?? "—",
      r.pass === undefined ? "" : r.pass ? "pass" : "FAIL",
    ]),
  ];
  const widths = table[0]!.map((_, i) => Math.max(...table.map((row) => row[i]!.length)));
  console.log();
  for (const row of table) console.log(row.map((cell, i) => cell.padEnd(widths[i]!)).join("  "));
}
