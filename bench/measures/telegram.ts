// The Telegram webhook: its acknowledgement paced as people type (10 a second) against GET /api/health
// at the same pace, and the Worker's CPU per message end to end (webhook → inbox → run → reply in the
// fake Bot API), one message at a time on an otherwise idle stack so the CPU is that message's.
import { deliver, update } from "../../fakes/telegram.ts";
import { atMost, type Benchmark, measured, ok, pct, sleep } from "../lib.ts";

const PACED = 200;
const PACE_MS = 100;
const END_TO_END = 60;

export const telegramBench: Benchmark = async ({ api, webhook, webhookSecret, people, telegram }) => {
  let n = 0;
  const message = (i: number) => deliver(webhook, webhookSecret, update(people[i % people.length]!, `bench message ${n++}`));

  // Paced: each phase alone, so the runs the messages start weigh on the webhook's phase only.
  const paced = async (f: (i: number) => Promise<unknown>) => {
    const ms: number[] = [];
    for (let i = 0; i < PACED; i++) {
      const t0 = performance.now();
      await f(i);
      ms.push(performance.now() - t0);
      await sleep(Math.max(0, PACE_MS - (performance.now() - t0)));
    }
    return ms;
  };
  const health = await paced(() => ok(fetch(`${api}/api/health`)));
  const acks = await paced((i) => ok(message(i)));
  await sleep(5000); // the paced messages' runs and replies finish

  // End to end, one at a time: until the reply has reached the person's chat, then a moment for the
  // request's waitUntil tails (usage rows, reply bookkeeping) to end.
  // Each message is followed by the raw route doing the same D1 round trips (bench-baselines.ts),
  // so the machine's drift falls on both alike.
  const cpu: number[] = [];
  const total: number[] = [];
  const raw: number[] = [];
  const rawMessage = (i: number) =>
    ok(
      fetch(`${api}/api/bench/telegram-message`, {
        method: "POST",
        body: JSON.stringify({ telegramUserId: people[i % people.length]!.id, updateId: 2_000_000_000_000 + i, text: `raw message ${i}` }),
      }),
    );
  await rawMessage(END_TO_END); // warm
  for (let i = 0; i < END_TO_END; i++) {
    const person = people[i % people.length]!;
    const before = telegram.sentTo(person.id).length;
    const m = await measured(async () => {
      await ok(message(i));
      for (const deadline = Date.now() + 30_000; telegram.sentTo(person.id).length === before; await sleep(5))
        if (Date.now() > deadline) throw new Error("no reply in Telegram within 30 s");
      await sleep(150);
    });
    cpu.push(m.cpuMs);
    total.push(m.ms - 150);
    raw.push((await measured(() => rawMessage(i))).cpuMs);
  }
  return [
    {
      bench: "telegram",
      measure: `webhook ack, paced (${1000 / PACE_MS}/s)`,
      unit: "ms",
      p50: pct(acks, 50),
      p99: pct(acks, 99),
      baseline: { what: "GET /api/health, same pace", p50: pct(health, 50), p99: pct(health, 99) },
      ...atMost(pct(acks, 99) / pct(health, 99), 2),
    },
    {
      bench: "telegram",
      measure: "workerd CPU per message, end to end",
      unit: "ms CPU",
      p50: pct(cpu, 50),
      p99: pct(cpu, 99),
      baseline: { what: "raw route, same D1 round trips", p50: pct(raw, 50), p99: pct(raw, 99) },
      ...atMost(pct(cpu, 50) / pct(raw, 50), 1.5),
    },
    {
      bench: "telegram",
      measure: "workerd CPU per message, absolute",
      unit: "ms CPU",
      p50: pct(cpu, 50),
      p99: pct(cpu, 99),
      ...atMost(pct(cpu, 50), 15, " ms"),
    },
    { bench: "telegram", measure: "message → reply in Telegram", unit: "ms", p50: pct(total, 50), p99: pct(total, 99) },
  ];
};
