// Benchmark: the skills page's two costs, through the whole local product with a real OpenClaw
// runtime (host driver, fake model). `skills.list` answered from the cached inventory, against the
// same tRPC + session + D1 round trip that reads the runtime's state (`runtime.status`); and a policy
// change until it is live on the gateway (`skills.updatePolicy` resolves once OpenClaw has
// hot-reloaded the config), against the same call that changes nothing (no reload: the API and D1 alone).
//   pnpm bench:skills [--reads 100] [--changes 10]
import { parseArgs } from "node:util";
import { startFakeModel } from "../fakes/openai.ts";
import { client, startStack, waitForPool } from "../runtime/test/stack.ts";

const { values } = parseArgs({
  args: process.argv.slice(2).filter((a) => a !== "--"),
  options: { reads: { type: "string", default: "100" }, changes: { type: "string", default: "10" } },
});
const READS = Number(values.reads),
  CHANGES = Number(values.changes);
const PORT = 8887;
const fake = await startFakeModel();
const stack = await startStack(PORT, { RUNTIME_POOL_SIZE: "1" });
try {
  await waitForPool(PORT + 2, 1);
  const c = client(stack.api, `http://127.0.0.1:${PORT + 1}`);
  await c.signUpWithTeam("bench-skills");
  await c.call("providerKeys.set", { provider: "custom", apiKey: "sk-bench-000000000", baseUrl: `${fake.url}/v1` });
  await c.call("agents.create", { templateId: "personal-assistant", name: "Bench", model: "custom/echo" });
  await c.call("runtime.start");
  const first = await c.query<{ skills: unknown[]; inventoryAt: string }>("skills.list"); // reads the runtime once
  console.log(`inventory: ${first.skills.length} skills read from the runtime`);

  const time = async (f: () => Promise<unknown>) => {
    const t0 = performance.now();
    await f();
    return performance.now() - t0;
  };
  const series = async (n: number, f: (i: number) => Promise<unknown>) => {
    const xs: number[] = [];
    for (let i = 0; i < n; i++) xs.push(await time(() => f(i)));
    return xs;
  };
  const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;
  const fmt = (xs: number[]) => `p50 ${pct(xs, 50).toFixed(1)} ms, p90 ${pct(xs, 90).toFixed(1)} ms, max ${Math.max(...xs).toFixed(1)} ms`;

  const baselineRead = await series(READS, () => c.query("runtime.status"));
  const cachedList = await series(READS, () => c.query("skills.list"));
  const unchanged = await series(CHANGES, () => c.call("skills.updatePolicy", { policies: [{ name: "weather", hidden: false }] }));
  const live = await series(CHANGES, async (i) => {
    const list = await c.call<{ applied: string }>("skills.updatePolicy", { policies: [{ name: "weather", enabled: i % 2 === 1 }] });
    if (list.applied !== "live") throw new Error("the change was not live");
  });
  console.log(`runtime.status (baseline read)               ${fmt(baselineRead)}`);
  console.log(`skills.list from the cache                  ${fmt(cachedList)}`);
  console.log(`policy change, nothing to reload (baseline) ${fmt(unchanged)}`);
  console.log(`policy change → live on the gateway         ${fmt(live)}`);
} finally {
  await stack.stop();
  await fake.close();
}
