// Schedules in workerd: the cron sweep hands each due fire time to SCHEDULE_QUEUE, whose consumer
// runs it once however often the sweep or the queue repeats; the missed-time rule, timezones across a
// DST change, pause and resume, plan and budget refusals recorded on the schedule, delivery into the
// schedule's own conversation and to Telegram, the audit trail, and bad input refused.
import { env, SELF } from "cloudflare:test";
import type { Schedule, ScheduleFiringMessage } from "@autoclaw/shared";
import { describe, expect, it } from "vitest";
import type { Settings } from "../src/config";
import { createDb } from "../src/db/client";
import { NO_CLIENT } from "../src/domain/audit";
import { createSchedule, failFiring, fireSchedule, type ScheduleDeps, sweepDueSchedules } from "../src/domain/schedules";
import { type Person, update } from "../../fakes/telegram";
import { agentOnFakeModel, client, expectTrpcError, joinTeam, ORIGIN, signUp, signUpWithTeam, testSettings, waitForRun } from "./helpers";

const deps = (patch: Partial<Settings> = {}): ScheduleDeps => ({
  db: createDb(env.DB),
  settings: testSettings(patch),
  queue: env.RUN_QUEUE,
  scheduleQueue: env.SCHEDULE_QUEUE,
  bucket: env.ARTIFACTS,
  runtime: undefined,
});
/** Billing on: a new team is on the trial (3 schedules, at most hourly). */
const billed = { STRIPE_SECRET_KEY: "sk_test_autoclaw", STRIPE_WEBHOOK_SECRET: "whsec_test_autoclaw_0123456789" };

const firingCount = async (scheduleId: string) =>
  Number(
    (await env.DB.prepare("select count(*) as n from schedule_firings where schedule_id = ?").bind(scheduleId).first<{ n: number }>())!.n,
  );
/**
 * The minute's sweep at `now`, then the queue consumer's part: until the schedule has `firings`
 * recorded, and a moment more for any repeated message still on its way.
 */
async function sweep(scheduleId: string, now: Date, firings: number) {
  await sweepDueSchedules(deps(), now);
  await expect.poll(() => firingCount(scheduleId), { timeout: 10_000 }).toBe(firings);
}
const settle = () => new Promise((r) => setTimeout(r, 300));

/** Moves a schedule's next fire time (what a platform that was down would find). */
const setNextFire = (id: string, at: Date) =>
  env.DB.prepare("update schedules set next_fire_at = ? where id = ?").bind(at.getTime(), id).run();

let nextPerson = 6_100_000 + Math.floor(Math.random() * 100_000) * 10;
const tg = (person: Person, text: string) =>
  SELF.fetch(`${ORIGIN}/api/webhooks/telegram`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-telegram-bot-api-secret-token": env.TELEGRAM_WEBHOOK_SECRET },
    body: JSON.stringify(update(person, text)),
  });
const sentTo = async (chatId: number) =>
  ((await (await fetch(`${env.TELEGRAM_API_ROOT}/__calls`)).json()) as { method: string; params: Record<string, unknown> }[])
    .filter((c) => c.method === "sendMessage" && Number(c.params.chat_id) === chatId)
    .map((c) => String(c.params.text));

async function scheduledTeam(label: string) {
  const t = await signUpWithTeam(label);
  const agent = await agentOnFakeModel(t.api);
  return { ...t, agent };
}

describe("schedules", () => {
  it("shows the expression in words and the next five fire times; bad input is BAD_REQUEST and makes nothing", async () => {
    const { api, agent } = await scheduledTeam("sch-create");
    const s = await api.schedules.create.mutate({
      agentId: agent.id,
      cron: "0 8 * * 1-5",
      timezone: "Europe/Berlin",
      input: "Write the morning briefing",
    });
    expect(s.description).toBe("At 08:00, Monday through Friday");
    expect(s.nextRuns).toHaveLength(5);
    for (const at of s.nextRuns) {
      const local = new Intl.DateTimeFormat("en-GB", {
        timeZone: "Europe/Berlin",
        weekday: "short",
        hour: "2-digit",
        minute: "2-digit",
      }).format(new Date(at));
      expect(local).toMatch(/^(Mon|Tue|Wed|Thu|Fri) 08:00$/);
    }
    expect(s.paused).toBe(false);

    for (const bad of [
      { cron: "0 8 * *", timezone: "Europe/Berlin" },
      { cron: "61 8 * * *", timezone: "Europe/Berlin" },
      { cron: "0 8 * * *", timezone: "Mars/Olympus" },
    ])
      await expectTrpcError(api.schedules.create.mutate({ agentId: agent.id, input: "x", ...bad }), "BAD_REQUEST");
    await expectTrpcError(api.schedules.create.mutate({ agentId: "ag_nope", cron: "0 8 * * *", timezone: "UTC", input: "x" }), "NOT_FOUND");
    expect(await api.schedules.list.query({})).toHaveLength(1);
  });

  it("a fire time runs once however often the sweep repeats, as a run with source schedule", async () => {
    const { api, agent } = await scheduledTeam("sch-once");
    const s = await api.schedules.create.mutate({ agentId: agent.id, cron: "*/5 * * * *", timezone: "UTC", input: "tick" });
    const fireAt = new Date(s.nextRuns[0]!);
    const justAfter = new Date(fireAt.getTime() + 20_000);
    await Promise.all([sweepDueSchedules(deps(), justAfter), sweepDueSchedules(deps(), justAfter)]);
    await sweep(s.id, justAfter, 1);
    // A sweep repeated over the same fire time (a crash after sending, before moving on), and the
    // queue delivering one message three times at once: still the one run.
    await setNextFire(s.id, fireAt);
    await sweep(s.id, justAfter, 1);
    const message: ScheduleFiringMessage = { scheduleId: s.id, fireAt: fireAt.getTime(), missed: [] };
    await Promise.all([1, 2, 3].map(() => fireSchedule(deps(), message)));
    await settle();

    const runs = (await api.runs.list.query({})).items.filter((r) => r.source === "schedule");
    expect(runs).toHaveLength(1);
    expect(runs[0]!.input).toBe("tick");
    expect((await waitForRun(api, runs[0]!.id)).status).toBe("succeeded");
    const [listed] = await api.schedules.list.query({ agentId: agent.id });
    expect(listed!.firings).toEqual([{ fireAt: fireAt.toISOString(), status: "ran", runId: runs[0]!.id, reason: null }]);
    expect(new Date(listed!.nextRuns[0]!).getTime()).toBe(fireAt.getTime() + 5 * 60_000);
  });

  it("a fire time missed while the platform was down runs once if less than one period late; older ones are skipped", async () => {
    const { api, agent } = await scheduledTeam("sch-missed");
    const s = await api.schedules.create.mutate({ agentId: agent.id, cron: "0 8 * * *", timezone: "Europe/Berlin", input: "daily" });
    const next = new Date(s.nextRuns[0]!);
    // Down for three days: the sweep comes back 2 hours after the third missed 08:00.
    const threeBefore = new Date(next.getTime() - 3 * 86_400_000);
    await setNextFire(s.id, threeBefore);
    const back = new Date(next.getTime() - 86_400_000 + 2 * 3_600_000);
    await sweep(s.id, back, 3);
    const [after] = await api.schedules.list.query({ agentId: agent.id });
    expect(after!.firings.map((f) => f.status)).toEqual(["ran", "skipped", "skipped"]);
    expect(after!.firings[0]!.fireAt).toBe(new Date(next.getTime() - 86_400_000).toISOString());
    expect(after!.firings[1]!.reason).toMatch(/more than one period late/);
    expect((await api.runs.list.query({})).items.filter((r) => r.source === "schedule")).toHaveLength(1);
    expect(after!.nextRuns[0]).toBe(next.toISOString());
  });

  it("08:00 in Europe/Berlin stays 08:00 local across the October DST change", async () => {
    const { team, user, agent } = await scheduledTeam("sch-dst");
    const s = await createSchedule(
      deps(),
      team.id,
      { actor: { kind: "user", id: "u_dst", label: user.email }, client: NO_CLIENT },
      { agentId: agent.id, cron: "0 8 * * *", timezone: "Europe/Berlin", input: "dst", deliver: { conversation: false } },
      new Date("2026-10-23T12:00:00Z"),
    );
    // Summer time (UTC+2) until 25 October 2026 03:00, then winter time (UTC+1).
    expect(s.nextRuns.slice(0, 3)).toEqual(["2026-10-24T06:00:00.000Z", "2026-10-25T07:00:00.000Z", "2026-10-26T07:00:00.000Z"]);
  });

  it("pause stops firing and shows no fire times; resume fires from now on, not what was missed", async () => {
    const { api, agent } = await scheduledTeam("sch-pause");
    const s = await api.schedules.create.mutate({ agentId: agent.id, cron: "*/10 * * * *", timezone: "UTC", input: "p" });
    const paused = await api.schedules.update.mutate({ id: s.id, paused: true });
    expect(paused.nextRuns).toEqual([]);
    await sweepDueSchedules(deps(), new Date(Date.now() + 3_600_000));
    await settle();
    const resumed = await api.schedules.update.mutate({ id: s.id, paused: false });
    expect(new Date(resumed.nextRuns[0]!).getTime()).toBeGreaterThan(Date.now());
    expect(resumed.firings).toEqual([]);
    expect((await api.runs.list.query({})).items.filter((r) => r.source === "schedule")).toHaveLength(0);
  });

  it("a firing the budget refuses is recorded on the schedule with the reason; run now runs at once", async () => {
    const { api, agent, team } = await scheduledTeam("sch-budget");
    const s = await api.schedules.create.mutate({ agentId: agent.id, cron: "0 * * * *", timezone: "UTC", input: "hourly" });
    const { runId } = await api.schedules.runNow.mutate({ id: s.id });
    expect((await waitForRun(api, runId)).status).toBe("succeeded");

    await api.usage.setBudget.mutate({ monthlyTokens: 1 });
    await env.DB.prepare(
      "insert into usage_daily (tenant_id, day, agent_id, model, calls, input_tokens, output_tokens) values (?, ?, '', 'custom/echo', 1, 10, 10) on conflict do update set input_tokens = input_tokens + 10",
    )
      .bind(team.id, new Date().toISOString().slice(0, 10))
      .run();
    const fireAt = new Date(s.nextRuns[0]!);
    await sweep(s.id, new Date(fireAt.getTime() + 1000), 2);
    const [after] = await api.schedules.list.query({});
    expect(after!.firings[0]).toMatchObject({ fireAt: fireAt.toISOString(), status: "refused", runId: null });
    expect(after!.firings[0]!.reason).toMatch(/token budget/);
    expect(after!.firings[1]).toMatchObject({ status: "ran", runId, reason: "run now" });
    // Refused, not stuck: it moved on to the next hour.
    expect(new Date(after!.nextRuns[0]!).getTime()).toBe(fireAt.getTime() + 3_600_000);
  });

  it("delivered into its own conversation, each firing is the next turn of it", async () => {
    const { api, agent } = await scheduledTeam("sch-conv");
    const s = await api.schedules.create.mutate({
      agentId: agent.id,
      cron: "30 7 * * *",
      timezone: "UTC",
      input: "what did you say yesterday?",
      deliver: { conversation: true },
    });
    expect(s.conversationId).toMatch(/^conv_/);
    const first = new Date(s.nextRuns[0]!);
    await sweep(s.id, new Date(first.getTime() + 1000), 1);
    const second = new Date(first.getTime() + 86_400_000);
    await sweep(s.id, new Date(second.getTime() + 1000), 2);
    const runs = (await api.runs.list.query({})).items.filter((r) => r.source === "schedule");
    expect(runs).toHaveLength(2);
    for (const r of runs) await waitForRun(api, r.id);
    const conv = await api.conversations.get.query({ id: s.conversationId! });
    expect(conv.history.map((h) => h.runId).sort()).toEqual(runs.map((r) => r.id).sort());
  });

  it("removing an agent removes its schedules; another team never sees or touches them", async () => {
    const a = await scheduledTeam("sch-remove");
    const b = await scheduledTeam("sch-other");
    const s = await a.api.schedules.create.mutate({ agentId: a.agent.id, cron: "0 9 * * *", timezone: "UTC", input: "x" });
    expect(await b.api.schedules.list.query({})).toEqual([]);
    await expectTrpcError(b.api.schedules.update.mutate({ id: s.id, paused: true }), "NOT_FOUND");
    await expectTrpcError(b.api.schedules.remove.mutate({ id: s.id }), "NOT_FOUND");
    await expectTrpcError(b.api.schedules.runNow.mutate({ id: s.id }), "NOT_FOUND");
    await a.api.agents.remove.mutate({ id: a.agent.id });
    expect(await a.api.schedules.list.query({})).toEqual([]);
  });

  it("delivers a firing's reply in Telegram to each paired member who asked for it, and stops once they are unpaired", async () => {
    const { api, agent } = await scheduledTeam("sch-tg");
    const mate = await signUp("sch-tg-mate");
    await joinTeam(api, mate);
    const mateApi = client({ cookie: mate.cookie });
    const owner: Person = { id: nextPerson++, firstName: "Olive" };
    const member: Person = { id: nextPerson++, firstName: "Milo" };
    for (const [who, person] of [
      [api, owner],
      [mateApi, member],
    ] as const) {
      const { code } = await who.telegram.createPairingCode.mutate();
      expect((await tg(person, `/start ${code}`)).status).toBe(200);
    }
    await expect.poll(async () => (await api.telegram.pairings.query()).length).toBe(2);

    const s = await api.schedules.create.mutate({ agentId: agent.id, cron: "0 7 * * *", timezone: "UTC", input: "the news" });
    expect(s.telegram).toEqual({ subscribers: 0, mine: false });
    const subscribed = await mateApi.schedules.subscribe.mutate({ id: s.id, subscribed: true });
    expect(subscribed.telegram).toEqual({ subscribers: 1, mine: true });
    // An API key has no Telegram account of its own.
    const key = await api.apiKeys.create.mutate({ name: "k", scopes: ["read"] });
    expect((await client({ apiKey: key.key }).schedules.list.query({}))[0]!.telegram.mine).toBeNull();

    const fireAt = new Date(s.nextRuns[0]!);
    await sweep(s.id, new Date(fireAt.getTime() + 1000), 1);
    const [run] = (await api.runs.list.query({})).items.filter((r) => r.source === "schedule");
    await waitForRun(api, run!.id);
    // After the pairing's welcome: the schedule's reply, saying what it is.
    await expect.poll(async () => (await sentTo(member.id)).length, { timeout: 10_000 }).toBe(2);
    expect((await sentTo(member.id))[1]).toBe("⏰ Scheduled: the news\n\nEcho: the news");
    expect(await sentTo(owner.id)).toEqual([expect.stringContaining("Paired with")]); // only the welcome: the owner did not ask

    // Unpaired: the next firing reaches nobody.
    await api.telegram.unpair.mutate({ telegramUserId: member.id });
    expect((await api.schedules.list.query({}))[0]!.telegram.subscribers).toBe(0);
    const next = new Date(fireAt.getTime() + 86_400_000);
    await sweep(s.id, new Date(next.getTime() + 1000), 2);
    const runs = (await api.runs.list.query({})).items.filter((r) => r.source === "schedule");
    expect(runs).toHaveLength(2);
    await waitForRun(api, runs[0]!.id);
    await new Promise((r) => setTimeout(r, 500));
    expect(await sentTo(member.id)).toHaveLength(2);
  }, 30_000);

  it("asking for a schedule's replies needs a pairing of one's own", async () => {
    const { api, agent } = await scheduledTeam("sch-tg-none");
    const s = await api.schedules.create.mutate({ agentId: agent.id, cron: "0 7 * * *", timezone: "UTC", input: "x" });
    expect(s.telegram.mine).toBeNull();
    await expectTrpcError(api.schedules.subscribe.mutate({ id: s.id, subscribed: true }), "PRECONDITION_FAILED");
  });

  it("the sweep does no per-schedule D1 work: due fire times go to the queue in batches, and every one is run", async () => {
    const { api, agent } = await scheduledTeam("sch-sweep");
    const made: Schedule[] = [];
    for (let i = 0; i < 30; i++)
      made.push(await api.schedules.create.mutate({ agentId: agent.id, cron: "15 6 * * *", timezone: "UTC", input: `report ${i}` }));
    const fireAt = new Date(made[0]!.nextRuns[0]!);
    const swept = await sweepDueSchedules(deps(), new Date(fireAt.getTime() + 1000));
    // Other tests' schedules may be due too: the cost follows the count, 100 per send and 1,000 per update.
    expect(swept.due).toBeGreaterThanOrEqual(30);
    expect(swept.sends).toBe(Math.ceil(swept.due / 100));
    expect(swept.statements).toBe(1 + Math.ceil(swept.due / 1000));
    for (const m of made) await expect.poll(() => firingCount(m.id), { timeout: 20_000 }).toBe(1);
    const runs = (await api.runs.list.query({ limit: 100 })).items.filter((r) => r.source === "schedule");
    expect(runs.map((r) => r.input).sort()).toEqual(made.map((m) => m.input).sort());
    for (const m of made) expect(new Date(m.nextRuns[1]!).getTime()).toBe(fireAt.getTime() + 86_400_000);
    const after = await api.schedules.list.query({ agentId: agent.id });
    expect(after.every((m) => m.nextRuns[0] === new Date(fireAt.getTime() + 86_400_000).toISOString())).toBe(true);
  }, 40_000);

  it("a downgraded plan refuses the schedules past its cap and under its interval at fire time, with the reason", async () => {
    // Made with billing off (no caps), then fired with billing on: the team is on the trial (3 schedules, hourly).
    const { api, agent } = await scheduledTeam("sch-plan");
    const made: Schedule[] = [];
    for (let i = 0; i < 4; i++)
      made.push(await api.schedules.create.mutate({ agentId: agent.id, cron: "0 * * * *", timezone: "UTC", input: `h${i}` }));
    const fireAt = new Date(made[0]!.nextRuns[0]!).getTime();
    const statuses: string[] = [];
    for (const m of made) statuses.push(await fireSchedule(deps(billed), { scheduleId: m.id, fireAt, missed: [] }));
    expect(statuses).toEqual(["ran", "ran", "ran", "refused"]);
    const newest = (await api.schedules.list.query({})).find((x) => x.id === made[3]!.id)!;
    expect(newest.firings[0]!.reason).toMatch(/plan includes 3 schedules/);

    const fast = await scheduledTeam("sch-plan-fast");
    const every5 = await fast.api.schedules.create.mutate({ agentId: fast.agent.id, cron: "*/5 * * * *", timezone: "UTC", input: "f" });
    const at = new Date(every5.nextRuns[0]!).getTime();
    expect(await fireSchedule(deps(billed), { scheduleId: every5.id, fireAt: at, missed: [] })).toBe("refused");
    expect((await fast.api.schedules.list.query({}))[0]!.firings[0]!.reason).toMatch(/at most every 60 minutes/);
    // Billing off again (an upgrade, as far as the plan's caps go): the same schedule runs.
    expect(await fireSchedule(deps(), { scheduleId: every5.id, fireAt: at + 300_000, missed: [] })).toBe("ran");
  });

  it("a fire time paused before its turn is skipped, one the queue gave up on is failed, one of a removed schedule leaves nothing", async () => {
    const { api, agent } = await scheduledTeam("sch-ends");
    const s = await api.schedules.create.mutate({ agentId: agent.id, cron: "0 5 * * *", timezone: "UTC", input: "e" });
    const fireAt = new Date(s.nextRuns[0]!).getTime();
    await api.schedules.update.mutate({ id: s.id, paused: true });
    expect(await fireSchedule(deps(), { scheduleId: s.id, fireAt, missed: [] })).toBe("skipped");
    await failFiring(deps().db, { scheduleId: s.id, fireAt: fireAt + 86_400_000, missed: [fireAt + 3_600_000] });
    const [listed] = await api.schedules.list.query({});
    expect(listed!.firings.map((f) => [f.status, f.reason])).toEqual([
      ["failed", expect.stringMatching(/could not start/)],
      ["skipped", expect.stringMatching(/more than one period late/)],
      ["skipped", "Paused before it ran"],
    ]);
    expect((await api.runs.list.query({})).items).toEqual([]);
    await api.schedules.remove.mutate({ id: s.id });
    expect(await fireSchedule(deps(), { scheduleId: s.id, fireAt: fireAt + 2 * 86_400_000, missed: [] })).toBe("gone");
    await failFiring(deps().db, { scheduleId: s.id, fireAt, missed: [] });
    expect(await firingCount(s.id)).toBe(0);
  });

  it("creating, changing and removing a schedule are each audited once, by whoever did it; an edit that changes nothing is not", async () => {
    const { api, agent } = await scheduledTeam("sch-audit");
    const key = await api.apiKeys.create.mutate({ name: "ops", scopes: ["agents"] });
    const viaKey = client({ apiKey: key.key });
    const s = await viaKey.schedules.create.mutate({ agentId: agent.id, cron: "0 8 * * 1-5", timezone: "UTC", input: "a" });
    await api.schedules.update.mutate({ id: s.id, paused: true, input: "b" });
    await api.schedules.update.mutate({ id: s.id, paused: true, input: "b" }); // the same again: nothing changes
    await api.schedules.remove.mutate({ id: s.id });
    await expectTrpcError(api.schedules.remove.mutate({ id: s.id }), "NOT_FOUND");
    const entries = (await api.audit.list.query({})).items.filter((e) => e.action.startsWith("schedule."));
    expect(entries.map((e) => [e.action, e.actor.kind, e.target?.label, e.metadata.changed ?? null])).toEqual([
      ["schedule.removed", "user", "0 8 * * 1-5 (UTC)", null],
      ["schedule.changed", "user", "0 8 * * 1-5 (UTC)", "input,paused"],
      ["schedule.created", "apiKey", "0 8 * * 1-5 (UTC)", null],
    ]);
    expect(JSON.stringify(entries)).not.toContain(key.key);
  });

  it("in Telegram, /schedules lists the team's schedules and /schedules <n> opts this account in and out", async () => {
    const { api, agent } = await scheduledTeam("sch-tg-cmd");
    const me: Person = { id: nextPerson++, firstName: "Tess" };
    const { code } = await api.telegram.createPairingCode.mutate();
    expect((await tg(me, `/start ${code}`)).status).toBe(200);
    await expect.poll(async () => (await api.telegram.pairings.query()).length).toBe(1);
    const s = await api.schedules.create.mutate({ agentId: agent.id, cron: "0 8 * * 1-5", timezone: "Europe/Berlin", input: "brief" });
    const last = async () => (await sentTo(me.id)).at(-1);

    await tg(me, "/schedules");
    await expect.poll(last).toMatch(/^1\. Agent echo: At 08:00, Monday through Friday, next \w{3} \d+ \w{3}, 08:00 \(Europe\/Berlin\)\n/);
    await tg(me, "/schedules 1");
    await expect.poll(last).toBe("You will get its replies here: At 08:00, Monday through Friday.");
    expect((await api.schedules.list.query({}))[0]!.telegram).toEqual({ subscribers: 1, mine: true });
    await tg(me, "/schedules");
    await expect.poll(last).toMatch(/✓ sent to you/);
    await tg(me, "/schedules 7");
    await expect.poll(last).toMatch(/^No schedule 7\./);

    // Opted in here, the firing's reply arrives here.
    await sweep(s.id, new Date(new Date(s.nextRuns[0]!).getTime() + 1000), 1);
    await expect.poll(last, { timeout: 10_000 }).toBe("⏰ Scheduled: brief\n\nEcho: brief");
    await tg(me, "/schedules 1");
    await expect.poll(last).toBe("You will no longer get its replies: At 08:00, Monday through Friday.");
    expect((await api.schedules.list.query({}))[0]!.telegram.subscribers).toBe(0);
  }, 30_000);
});
