// Benchmark: how late a reply's first token reaches a watcher, through the whole local product with
// a real OpenClaw runtime (host driver): the fake model writes its first token → OpenClaw → the model
// proxy → the gateway's SSE → the runtime host → the AgentSession's event log → runs.events (SSE) →
// this client. The baseline, in the same run: the same fake model read directly (first token
// leaving it → this client). The fake runs in this process, so both ends read one clock.
//   pnpm bench:live [--turns 30]
import { parseArgs } from "node:util";
import { startFakeModel } from "../fakes/openai.ts";
import { client, startStack, waitForPool } from "../runtime/test/stack.ts";

const { values } = parseArgs({
  args: process.argv.slice(2).filter((a) => a !== "--"),
  options: { turns: { type: "string", default: "30" } },
});
const TURNS = Number(values.turns);
const PORT = 8897;
const fake = await startFakeModel();
// When each request's first token left the fake model, by its last user message.
const firstTokenOut = new Map<string, number>();
fake.onRequest = (rec, phase) => {
  const last = String(rec.messages.at(-1)?.content ?? "");
  if (phase === "first-token") firstTokenOut.set(last.match(/live-(?:direct-)?-?\d+/)?.[0] ?? last, performance.now());
};
const stack = await startStack(PORT, { RUNTIME_POOL_SIZE: "1" });
try {
  await waitForPool(PORT + 2, 1);
  const c = client(stack.api, `http://127.0.0.1:${PORT + 1}`);
  await c.signUpWithTeam("bench-live");
  await c.call("providerKeys.set", { provider: "custom", apiKey: "sk-bench-000000000", baseUrl: `${fake.url}/v1` });
  const agent = await c.call<{ id: string }>("agents.create", { templateId: "personal-assistant", name: "Bench", model: "custom/drip-20" });
  await c.call("runtime.start");

  /** Runs one turn and answers when its first token event reached this client. */
  async function platformTurn(i: number) {
    const tag = `live-${i}`;
    const { id } = await c.call<{ id: string }>("runs.create", { agentId: agent.id, input: `${tag} one two three` });
    const res = await fetch(`${stack.api}/trpc/runs.events?input=${encodeURIComponent(JSON.stringify({ runId: id }))}`, {
      headers: c.headers,
    });
    const decoder = new TextDecoder();
    let tail = "";
    let firstAt: number | undefined;
    for await (const chunk of res.body!) {
      tail += decoder.decode(chunk, { stream: true });
      if (firstAt === undefined && tail.includes('"type":"token"')) firstAt = performance.now();
      if (tail.includes('"type":"done"')) break;
    }
    await res.body?.cancel().catch(() => undefined);
    const out = firstTokenOut.get(tag);
    if (firstAt === undefined || out === undefined) throw new Error(`turn ${i}: no token seen`);
    return firstAt - out;
  }
  /** The fake model read directly: its first token leaving it → this client reading it. */
  async function directRead(i: number) {
    const tag = `live-direct-${i}`;
    const res = await fetch(`${fake.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "drip-20", stream: true, messages: [{ role: "user", content: `${tag} one two three` }] }),
    });
    let firstAt: number | undefined;
    for await (const chunk of res.body!) {
      if (firstAt === undefined && new TextDecoder().decode(chunk).includes('"content"')) firstAt = performance.now();
    }
    return firstAt! - firstTokenOut.get(tag)!;
  }

  await platformTurn(-1); // the first turn after a start warms OpenClaw's caches
  const platform: number[] = [];
  const direct: number[] = [];
  for (let i = 0; i < TURNS; i++) {
    direct.push(await directRead(i));
    platform.push(await platformTurn(i));
  }
  const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;
  const fmt = (xs: number[]) => `p50 ${pct(xs, 50).toFixed(1)} ms, p99 ${pct(xs, 99).toFixed(1)} ms, max ${Math.max(...xs).toFixed(1)} ms`;
  console.log(`first token, fake model read directly (baseline)  ${fmt(direct)}`);
  console.log(`first token, through the platform to runs.events  ${fmt(platform)}`);
  console.log(`platform adds p50 ${(pct(platform, 50) - pct(direct, 50)).toFixed(1)} ms (target < 30 ms)`);
} finally {
  await stack.stop();
  await fake.close();
}
