// Schedules in workerd: the cron sweep fires each fire time once however often it repeats, the
// missed-time rule, timezones across a DST change, pause and resume, budget refusals recorded on the
// schedule, delivery into the schedule's own conversation, and bad input refused.
import { env, SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { createDb } from "../src/db/client";
import type { RunDeps } from "../src/domain/run-records";
import { createSchedule, fireDueSchedules } from "../src/domain/schedules";
import { type Person, update } from "../../fakes/telegram";
import { agentOnFakeModel, client, expectTrpcError, joinTeam, ORIGIN, signUp, signUpWithTeam, testSettings, waitForRun } from "./helpers";

const deps = (): RunDeps => ({
  db: createDb(env.DB),
  settings: testSettings(),
  queue: env.RUN_QUEUE,
  bucket: env.ARTIFACTS,
  runtime: undefined,
});

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
    await Promise.all([fireDueSchedules(deps(), justAfter), fireDueSchedules(deps(), justAfter)]);
    await fireDueSchedules(deps(), justAfter);
    // The schedule moved on: the sweep after it has nothing more of this schedule to fire.
    await setNextFire(s.id, fireAt);
    await fireDueSchedules(deps(), justAfter); // a sweep repeated over the same fire time (a crash before moving on)

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
    await fireDueSchedules(deps(), back);
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
      user.email,
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
    await fireDueSchedules(deps(), new Date(Date.now() + 3_600_000));
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
    await fireDueSchedules(deps(), new Date(fireAt.getTime() + 1000));
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
    await fireDueSchedules(deps(), new Date(first.getTime() + 1000));
    const second = new Date(first.getTime() + 86_400_000);
    await fireDueSchedules(deps(), new Date(second.getTime() + 1000));
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
    await fireDueSchedules(deps(), new Date(fireAt.getTime() + 1000));
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
    await fireDueSchedules(deps(), new Date(next.getTime() + 1000));
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
});
