// `pnpm test:soak`: turns across several tenants with random stops, restarts, crashes and idle stops
// between them, on the whole product (wrangler dev + runtime host + real gateways, fake model). Then
// it checks what a team would: every file the agent last wrote is in R2 with that content (and nothing
// it deleted), no run is left unfinished, no team is locked out. Prints the figures; exits 1 on any loss.
//
//   pnpm test:soak [-- --turns 200 --tenants 5 --seed 7]
import { createHash } from "node:crypto";
import { existsSync, rmSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { startFakeModel } from "../../fakes/openai.ts";
import { client, filesOnDisk, hostCall, killGateway, killHost, startStack, waitForPool, type Stack } from "./stack.ts";

const { values: args } = parseArgs({
  options: {
    turns: { type: "string", default: "200" },
    tenants: { type: "string", default: "5" },
    seed: { type: "string", default: "7" },
    port: { type: "string", default: "8887" },
  },
});
const TURNS = Number(args.turns);
const TENANTS = Number(args.tenants);
const PORT = Number(args.port);

/** A small seeded generator: the same seed gives the same sequence of turns and faults. */
let state = Number(args.seed) >>> 0 || 1;
const random = () => {
  state = (state * 1664525 + 1013904223) >>> 0;
  return state / 2 ** 32;
};
const pick = <T>(items: readonly T[]) => items[Math.floor(random() * items.length)]!;

const DISRUPTIONS = [
  "stop (runtime.stop)",
  "stop twice",
  "host's own idle stop",
  "gateway SIGKILL",
  "runtime host SIGKILL",
  "the agent deletes a file",
] as const;
type Disruption = (typeof DISRUPTIONS)[number];
const sha = (text: string) => createHash("sha256").update(text).digest("hex");

interface Tenant {
  name: string;
  c: ReturnType<typeof client>;
  id: string;
  agentId: string;
  /** What the agent last left in each of its notes (null: deleted). */
  expected: Map<string, string | null>;
}

/**
 * A run is stuck if it has not ended after its whole retry schedule could have run: six attempts
 * (each a start of up to two minutes plus a turn) and the backoffs between them.
 */
const STUCK_AFTER_MS = 15 * 60_000;

async function waitRun(t: Tenant, id: string) {
  for (const deadline = Date.now() + STUCK_AFTER_MS; Date.now() < deadline; await new Promise((r) => setTimeout(r, 250))) {
    const run = await t.c.query<{ status: string; attempts: number; error: string | null }>("runs.get", { id });
    if (["succeeded", "failed", "canceled"].includes(run.status)) return run;
  }
  return { status: "stuck", attempts: 0, error: `not finished after ${STUCK_AFTER_MS / 60_000} minutes` };
}

async function disrupt(stack: Stack, t: Tenant, what: Disruption, hostLock: { busy: boolean }) {
  const status = await hostCall(stack, "GET", `/tenants/${t.id}/status`);
  switch (what) {
    case "stop (runtime.stop)":
      return void (await t.c.call("runtime.stop"));
    case "stop twice":
      await t.c.call("runtime.stop");
      return void (await t.c.call("runtime.stop"));
    case "host's own idle stop":
      return void (await hostCall(stack, "POST", `/tenants/${t.id}/stop`));
    case "gateway SIGKILL":
      return killGateway(stack, t.id);
    case "runtime host SIGKILL":
      // One at a time across tenants: the host is shared.
      if (hostLock.busy) return killGateway(stack, t.id);
      hostLock.busy = true;
      try {
        return await killHost(stack);
      } finally {
        hostLock.busy = false;
      }
    case "the agent deletes a file": {
      // What an agent's shell would do in a sandbox: remove one of its notes from the live workspace.
      const live = [...t.expected].filter(([, v]) => v !== null).map(([k]) => k);
      const dir = path.join(status.dir, "workspace", t.agentId);
      if (!live.length || status.state !== "ready" || !existsSync(dir)) return;
      const note = pick(live);
      rmSync(path.join(dir, note), { force: true });
      // It counts as the agent's deletion only once a turn of the agent has run after it.
      t.expected.set(note, null);
      return;
    }
  }
}

async function main() {
  const t0 = Date.now();
  const fake = await startFakeModel();
  const stack = await startStack(PORT, { RUNTIME_POOL_SIZE: "2", RUNTIME_POOL_REFILL_MS: "1000", RUN_RETRY_DELAY_SECONDS: "2" });
  const figures = {
    turns: 0,
    succeeded: 0,
    failed: [] as string[],
    stuck: 0,
    attempts: 0,
    disruptions: Object.fromEntries(DISRUPTIONS.map((d) => [d, 0])) as Record<Disruption, number>,
    turnMs: [] as number[],
  };
  /** The slowest turns, to say where their time went. */
  const slow: { t: Tenant; id: string; ms: number; status: string }[] = [];
  const hostLock = { busy: false };
  try {
    await waitForPool(stack.hostPort, 2, 180_000);
    const tenants: Tenant[] = [];
    for (let i = 0; i < TENANTS; i++) {
      const c = client(stack.api, `http://127.0.0.1:${PORT + 1}`);
      const team = await c.signUpWithTeam(`soak-${i}`);
      await c.call("providerKeys.set", { provider: "custom", apiKey: `sk-soak-${i}-0123456789`, baseUrl: `${fake.url}/v1` });
      const agent = await c.call<{ id: string }>("agents.create", {
        templateId: "personal-assistant",
        name: `Soak ${i}`,
        model: "custom/writer",
      });
      tenants.push({ name: `soak-${i}`, c, id: team.id, agentId: agent.id, expected: new Map() });
    }
    const perTenant = Math.ceil(TURNS / TENANTS);
    const plan = tenants.map(() =>
      Array.from({ length: perTenant }, () => ({
        note: `notes/${pick(["a", "b", "c", "d", "e", "f"])}.md`,
        disruption: random() < 0.15 ? pick(DISRUPTIONS) : undefined,
      })),
    );
    await Promise.all(
      tenants.map(async (t, ti) => {
        for (const [n, step] of plan[ti]!.entries()) {
          if (figures.turns >= TURNS) return;
          figures.turns++;
          const content = `${t.name} turn ${n}`;
          const started = Date.now();
          const { id } = await t.c.call<{ id: string }>("runs.create", { agentId: t.agentId, input: `write ${step.note}: ${content}` });
          const run = await waitRun(t, id);
          figures.turnMs.push(Date.now() - started);
          if (Date.now() - started > 30_000 || run.status !== "succeeded")
            slow.push({ t, id, ms: Date.now() - started, status: run.status });
          if (figures.turnMs.length % 25 === 0)
            console.log(`  … ${figures.turnMs.length} turns done (${Math.round((Date.now() - t0) / 1000)} s)`);
          figures.attempts += run.attempts;
          if (run.status === "succeeded") {
            figures.succeeded++;
            t.expected.set(step.note, content);
          } else if (run.status === "stuck") figures.stuck++;
          else figures.failed.push(`${t.name} turn ${n}: ${run.status} (${run.error})`);
          if (step.disruption) {
            figures.disruptions[step.disruption]++;
            await disrupt(stack, t, step.disruption, hostLock).catch((e) =>
              console.error(`${t.name}: ${step.disruption} failed: ${e.message}`),
            );
          }
        }
      }),
    );
    // A last turn each, so a deletion made after a tenant's last turn is seen by a turn too.
    let lost = 0;
    let extra = 0;
    let lockedOut = 0;
    for (const t of tenants) {
      const { id } = await t.c.call<{ id: string }>("runs.create", { agentId: t.agentId, input: "write notes/last.md: done" });
      const last = await waitRun(t, id);
      if (last.status !== "succeeded") lockedOut++;
      else t.expected.set("notes/last.md", "done");
      const r2 = Object.fromEntries(
        (await t.c.query<{ path: string; sha256: string | null }[]>("agents.files", { id: t.agentId })).map((f) => [f.path, f.sha256]),
      );
      for (const [note, content] of t.expected) {
        if (content === null && note in r2) extra++;
        if (content !== null && r2[note] !== sha(content)) {
          lost++;
          console.error(`${t.name}: ${note} in R2 is ${r2[note] ?? "missing"}, the agent last wrote "${content}"`);
        }
      }
      // And R2 mirrors the live workspace exactly.
      const status = await hostCall(stack, "GET", `/tenants/${t.id}/status`);
      const disk = filesOnDisk(path.join(status.dir, "workspace", t.agentId));
      for (const f of new Set([...Object.keys(disk), ...Object.keys(r2)]))
        if (disk[f] !== r2[f])
          console.error(`${t.name}: ${f} differs between the runtime (${disk[f] ?? "none"}) and R2 (${r2[f] ?? "none"})`);
      for (const persona of ["AGENTS.md", "IDENTITY.md", "SOUL.md"]) if (!(persona in r2)) lost++;
    }
    const sorted = [...figures.turnMs].sort((a, b) => a - b);
    const q = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0;
    console.log(
      `\nsoak: ${figures.turns} turns across ${TENANTS} tenants in ${Math.round((Date.now() - t0) / 1000)} s (seed ${args.seed})`,
    );
    console.log(
      `  succeeded ${figures.succeeded}, failed ${figures.failed.length}, stuck ${figures.stuck}; attempts per turn ${(figures.attempts / figures.turns).toFixed(2)}`,
    );
    console.log(`  turn time p50 ${q(0.5)} ms, p90 ${q(0.9)} ms, max ${sorted.at(-1)} ms`);
    console.log(
      `  disruptions: ${Object.entries(figures.disruptions)
        .map(([k, v]) => `${k} ${v}`)
        .join(", ")}`,
    );
    console.log(`  lost workspace files ${lost}, deleted files still in R2 ${extra}, teams locked out ${lockedOut}`);
    for (const f of figures.failed) console.log(`  failed: ${f}`);
    for (const r of slow.sort((a, b) => b.ms - a.ms).slice(0, 8)) {
      const events = (await r.t.c.query<{ events: { at: string; kind: string; message: string | null }[] }>("runs.get", { id: r.id }))
        .events;
      const start = new Date(events[0]!.at).getTime();
      console.log(
        `  slow: ${r.t.name} ${r.status} in ${Math.round(r.ms / 1000)} s: ${events.map((e) => `+${Math.round((new Date(e.at).getTime() - start) / 1000)}s ${e.kind}${e.message ? ` (${e.message.slice(0, 70)})` : ""}`).join(" → ")}`,
      );
    }
    process.exitCode = lost || extra || lockedOut || figures.stuck || figures.failed.length ? 1 : 0;
  } finally {
    await stack.stop();
    await fake.close();
  }
}

await main();
