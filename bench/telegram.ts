// Benchmark: how fast the Telegram webhook acknowledges updates (what Telegram waits for before it
// sends the next one), through the whole local product started as `npm start` does, with the fake
// Bot API. Updates are paired people's messages: each one is deduplicated, resolved to its team and
// agent and queued as a run (replies follow when runs end, outside the measured time). Runs execute
// in `direct` mode against the fake model, in the same workerd, as load next to the webhook.
// Three loads: paced (an update every --gap ms, as people type: the acknowledgement itself),
// back to back (the next update as soon as the last was acknowledged) and --concurrency at once;
// the last two saturate this machine, where one workerd also runs every update's run. The floors are
// the same round trips into wrangler dev that do nothing, alone and with --concurrency in flight.
//   pnpm bench:telegram [--updates 500] [--concurrency 32] [--gap 100]
import { parseArgs } from "node:util";
import { startFakeModel } from "../fakes/openai.ts";
import { deliver, startFakeTelegram, update } from "../fakes/telegram.ts";
import { client, startStack } from "../runtime/test/stack.ts";

const { values } = parseArgs({
  args: process.argv.slice(2).filter((a) => a !== "--"),
  options: {
    updates: { type: "string", default: "500" },
    concurrency: { type: "string", default: "32" },
    gap: { type: "string", default: "100" },
  },
});
const UPDATES = Number(values.updates),
  CONCURRENCY = Number(values.concurrency),
  GAP = Number(values.gap);
const PORT = 8877;
const SECRET = "bench-webhook-secret-0123456789";
const [fake, telegram] = await Promise.all([startFakeModel(), startFakeTelegram()]);
const stack = await startStack(PORT, {
  TENANT_RUNTIME: "direct",
  TELEGRAM_BOT_TOKEN: "123456789:bench-token-abcdefghijklmnopqrstuvwxyz",
  TELEGRAM_BOT_USERNAME: "autoclaw_bench_bot",
  TELEGRAM_WEBHOOK_SECRET: SECRET,
  TELEGRAM_API_ROOT: telegram.url,
});
const c = client(stack.api, `http://127.0.0.1:${PORT + 1}`);
await c.signUpWithTeam("bench-telegram");
await c.call("providerKeys.set", { provider: "custom", apiKey: "sk-bench-000000000", baseUrl: `${fake.url}/v1` });
await c.call("agents.create", { templateId: "personal-assistant", name: "Bench", model: "custom/echo" });

// 32 paired people (3 codes at a time: the pending limit).
const people = Array.from({ length: 32 }, (_, i) => ({ id: 900_000_000 + i, firstName: `P${i}` }));
const webhook = `${stack.api}/api/webhooks/telegram`;
for (const p of people) {
  const { code } = await c.call<{ code: string }>("telegram.createPairingCode");
  const res = await deliver(webhook, SECRET, update(p, `/start ${code}`));
  if (res.status !== 200) throw new Error(`pairing answered ${res.status}`);
}

async function ack(i: number): Promise<number> {
  const t0 = performance.now();
  const res = await deliver(webhook, SECRET, update(people[i % people.length]!, `message ${i}`));
  await res.arrayBuffer();
  if (res.status !== 200) throw new Error(`webhook answered ${res.status}`);
  return performance.now() - t0;
}
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;
const fmt = (xs: number[]) => `p50 ${pct(xs, 50).toFixed(1)} ms, p99 ${pct(xs, 99).toFixed(1)} ms, max ${Math.max(...xs).toFixed(1)} ms`;

// The floor on this machine: the same HTTP round trip into wrangler dev that does nothing (health)
// and one that stops at the secret check (a forged update).
const floor = async (f: () => Promise<Response>) => {
  const xs: number[] = [];
  for (let i = 0; i < 50; i++) {
    const t0 = performance.now();
    await (await f()).arrayBuffer();
    xs.push(performance.now() - t0);
  }
  return xs;
};
const health = await floor(() => fetch(`${stack.api}/api/health`));
const forged = await floor(() => deliver(webhook, "forged-secret-000000000", update(people[0]!, "x")));

/** `n` calls of `f` with `concurrency` in flight; the latencies and the rate. */
async function load(n: number, concurrency: number, f: (i: number) => Promise<number>) {
  const xs: number[] = [];
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < n) xs.push(await f(next++));
    }),
  );
  return { xs, perSecond: n / ((performance.now() - t0) / 1000) };
}
// The same floor with --concurrency in flight: what this machine allows any webhook at that load.
const healthConcurrent = await load(UPDATES, CONCURRENCY, async () => {
  const t0 = performance.now();
  await (await fetch(`${stack.api}/api/health`)).arrayBuffer();
  return performance.now() - t0;
});

const paced: number[] = [];
for (let i = 0; i < UPDATES; i++) {
  paced.push(await ack(i));
  await new Promise((r) => setTimeout(r, GAP));
}
await new Promise((r) => setTimeout(r, 5000)); // let the queued runs drain

const sequential: number[] = [];
for (let i = 0; i < UPDATES; i++) sequential.push(await ack(UPDATES + i));
await new Promise((r) => setTimeout(r, 15000));

const concurrent = await load(UPDATES, CONCURRENCY, (i) => ack(2 * UPDATES + i));

console.log(`\nTelegram webhook benchmark (wrangler dev, this machine, ${UPDATES} updates each)`);
console.log(`  floor: GET /api/health ${fmt(health)}; forged update (401) ${fmt(forged)}`);
console.log(
  `  floor with ${CONCURRENCY} in flight: GET /api/health ${fmt(healthConcurrent.xs)} (${healthConcurrent.perSecond.toFixed(0)}/s)`,
);
console.log(`  paced (one every ${GAP} ms): ${fmt(paced)}`);
console.log(`  back to back:  ${fmt(sequential)}`);
console.log(`  ${CONCURRENCY} concurrent: ${fmt(concurrent.xs)} (${concurrent.perSecond.toFixed(0)} updates/s)`);
await stack.stop();
await fake.close();
await telegram.close();
process.exit(0);
