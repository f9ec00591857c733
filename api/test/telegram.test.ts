// The shared Telegram bot, end to end in workerd: real Update JSON posted to the webhook, grammy
// handling it, D1, the queue and the run pipeline; the Bot API is the local fake (fakes/telegram).
import { env, runDurableObjectAlarm, runInDurableObject, SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { PAIRING_CODE_ALPHABET } from "@autoclaw/shared";
import { parseSettings } from "../src/config";
import { telegramConfig } from "../src/domain/telegram";
import { splitMessage, TYPING_AFTER_MS } from "../src/domain/telegram-replies";
import { update, type BotCall, type Person } from "../../fakes/telegram";
import { agentOnFakeModel, client, expectTrpcError, joinTeam, ORIGIN, signUp, signUpWithTeam, waitForRun, type Api } from "./helpers";

const WEBHOOK = `${ORIGIN}/api/webhooks/telegram`;

let nextPerson = 7_000_000 + Math.floor(Math.random() * 1_000_000) * 100;
const newPerson = (firstName = "Ada", username?: string): Person => ({ id: nextPerson++, firstName, username });

function post(body: unknown, secret: string | null = env.TELEGRAM_WEBHOOK_SECRET) {
  return SELF.fetch(WEBHOOK, {
    method: "POST",
    headers: { "content-type": "application/json", ...(secret !== null && { "x-telegram-bot-api-secret-token": secret }) },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}

async function say(person: Person, text: string, opts: Parameters<typeof update>[2] = {}) {
  const res = await post(update(person, text, opts));
  expect(res.status).toBe(200);
  return res;
}

async function botCalls(): Promise<BotCall[]> {
  return (await (await fetch(`${env.TELEGRAM_API_ROOT}/__calls`)).json()) as BotCall[];
}
const sentTo = async (chatId: number) =>
  (await botCalls()).filter((c) => c.method === "sendMessage" && Number(c.params.chat_id) === chatId).map((c) => String(c.params.text));

/** Waits until the bot has sent `n` messages to the chat. */
async function waitForMessages(chatId: number, n: number, timeoutMs = 15_000) {
  for (const deadline = Date.now() + timeoutMs; Date.now() < deadline; ) {
    const texts = await sentTo(chatId);
    if (texts.length >= n) return texts;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`the bot sent fewer than ${n} messages to ${chatId}: ${JSON.stringify(await sentTo(chatId))}`);
}

async function pairedTeam(label: string, model = "echo") {
  const t = await signUpWithTeam(label);
  const agent = await agentOnFakeModel(t.api, model);
  const person = newPerson(`Person ${label}`, `${label}_tg`);
  const { code } = await t.api.telegram.createPairingCode.mutate();
  await say(person, `/start ${code}`);
  expect((await waitForMessages(person.id, 1))[0]).toContain(`Paired with Team ${label}`);
  return { ...t, agent, person };
}

async function telegramRuns(api: Api) {
  return (await api.runs.list.query({})).items.filter((r) => r.source === "telegram");
}

describe("pairing Telegram users with a team", () => {
  it("issues one-time codes with a t.me link; /start <code> pairs and the dashboard lists the person", async () => {
    const { api, team } = await signUpWithTeam("tg-pair");
    const status = await api.telegram.status.query();
    expect(status).toMatchObject({ enabled: true, botUsername: "autoclaw_test_bot", missingSettings: [], pendingCodes: [] });

    const created = await api.telegram.createPairingCode.mutate();
    expect(created.code).toMatch(new RegExp(`^[${PAIRING_CODE_ALPHABET}]{8}$`));
    expect(created.link).toBe(`https://t.me/autoclaw_test_bot?start=${created.code}`);
    const ttl = new Date(created.expiresAt).getTime() - Date.now();
    expect(ttl).toBeGreaterThan(59 * 60_000);
    expect(ttl).toBeLessThanOrEqual(60 * 60_000);
    expect((await api.telegram.status.query()).pendingCodes).toHaveLength(1);
    // Stored hashed: the code itself is nowhere in D1.
    const rows = await env.DB.prepare("select * from telegram_pairing_codes where tenant_id = ?").bind(team.id).all();
    expect(JSON.stringify(rows.results)).not.toContain(created.code);

    const ada = newPerson("Ada", "ada_l");
    await say(ada, `/start ${created.code.toLowerCase()}`); // typed by hand, any case works
    expect((await waitForMessages(ada.id, 1))[0]).toContain("Paired with Team tg-pair");
    expect(await api.telegram.pairings.query()).toEqual([
      expect.objectContaining({ telegramUserId: ada.id, name: "Ada", username: "ada_l", agentId: null }),
    ]);
    expect((await api.telegram.status.query()).pendingCodes).toHaveLength(0);
  });

  it("a used code, an expired code and a wrong code get clear replies and pair nobody", async () => {
    const { api } = await signUpWithTeam("tg-bad-codes");
    const { code } = await api.telegram.createPairingCode.mutate();
    const first = newPerson();
    await say(first, `/pair ${code}`);
    await waitForMessages(first.id, 1);

    const second = newPerson();
    await say(second, `/pair ${code}`);
    expect((await waitForMessages(second.id, 1))[0]).toMatch(/already used/);

    const { code: old } = await api.telegram.createPairingCode.mutate();
    await env.DB.prepare("update telegram_pairing_codes set expires_at = ? where used_at is null")
      .bind(Date.now() - 1000)
      .run();
    await say(second, `/start ${old}`);
    expect((await waitForMessages(second.id, 2))[1]).toMatch(/expired/);

    await say(second, "/pair ZZZZZZZZ");
    expect((await waitForMessages(second.id, 3))[2]).toMatch(/not valid/);
    expect((await api.telegram.pairings.query()).map((p) => p.telegramUserId)).toEqual([first.id]);
  });

  it("refuses a fourth pending code", async () => {
    const { api } = await signUpWithTeam("tg-max-codes");
    for (let i = 0; i < 3; i++) await api.telegram.createPairingCode.mutate();
    const e = await expectTrpcError(api.telegram.createPairingCode.mutate(), "PRECONDITION_FAILED");
    expect(e.message).toMatch(/At most 3 pairing codes/);
  });

  it("rate-limits guessing per Telegram user: after 5 wrong codes even a right one is refused", async () => {
    const { api } = await signUpWithTeam("tg-guess");
    const guesser = newPerson();
    // Sent all at once, as a script would: the count still holds.
    await Promise.all(Array.from({ length: 5 }, (_, i) => say(guesser, `/pair WRONG${i}AA`)));
    await waitForMessages(guesser.id, 5);
    const { code } = await api.telegram.createPairingCode.mutate();
    await say(guesser, `/pair ${code}`);
    const replies = await waitForMessages(guesser.id, 6);
    expect(replies[5]).toMatch(/Too many wrong codes\. Try again in \d+ minutes?/);
    expect(await api.telegram.pairings.query()).toEqual([]);
    // The code was not spent: someone else can still use it.
    const other = newPerson();
    await say(other, `/start ${code}`);
    expect((await waitForMessages(other.id, 1))[0]).toContain("Paired with");
  });

  it("redeeming a code of one's own does not reset the guess count", async () => {
    const { api } = await signUpWithTeam("tg-reset");
    const guesser = newPerson();
    for (let i = 0; i < 3; i++) await say(guesser, `/pair WRONG${i}BB`);
    await waitForMessages(guesser.id, 3);
    // The guesser's own team's code: it pairs, and counts as the fourth attempt.
    await say(guesser, `/pair ${(await api.telegram.createPairingCode.mutate()).code}`);
    expect((await waitForMessages(guesser.id, 4))[3]).toContain("Paired with");
    await say(guesser, "/pair WRONG3BB");
    await waitForMessages(guesser.id, 5);
    // Sixth attempt in the window: refused, even with a right code.
    const other = await signUpWithTeam("tg-reset-target");
    await say(guesser, `/pair ${(await other.api.telegram.createPairingCode.mutate()).code}`);
    expect((await waitForMessages(guesser.id, 6))[5]).toMatch(/Too many wrong codes/);
    expect(await other.api.telegram.pairings.query()).toEqual([]);
  });
});

describe("the webhook", () => {
  it("rejects a forged or missing secret token and writes nothing", async () => {
    const person = newPerson();
    const forged = update(person, "/start ABCDEFGH");
    expect((await post(forged, "not-the-secret-0000000000")).status).toBe(401);
    expect((await post(forged, null)).status).toBe(401);
    const seen = await env.DB.prepare("select count(*) as n from telegram_updates where update_id = ?")
      .bind(forged.update_id)
      .first<{ n: number }>();
    expect(seen!.n).toBe(0);
    expect(await sentTo(person.id)).toEqual([]);
  });

  it("answers 400 to a body that is not an Update, and 404 for other methods' absence", async () => {
    expect((await post("{not json")).status).toBe(400);
    expect((await post({ message: { text: "no update id" } })).status).toBe(400);
    expect(
      (await SELF.fetch(WEBHOOK, { method: "GET", headers: { "x-telegram-bot-api-secret-token": env.TELEGRAM_WEBHOOK_SECRET } })).status,
    ).toBe(405);
  });

  it("does nothing for a repeated update_id", async () => {
    const { api, person } = await pairedTeam("tg-dup");
    const u = update(person, "only once please");
    await post(u);
    await post(u);
    const replies = await waitForMessages(person.id, 2); // the pairing reply + one answer
    await new Promise((r) => setTimeout(r, 1000));
    expect(await sentTo(person.id)).toHaveLength(2);
    expect(replies[1]).toBe("Echo: only once please");
    expect(await telegramRuns(api)).toHaveLength(1);
  });

  it("handles at once what it accepted, with one backstop alarm; the alarm handles an update an instance left behind", async () => {
    const stranger = newPerson();
    await say(stranger, "first");
    await say(stranger, "second");
    expect(await waitForMessages(stranger.id, 2)).toEqual([expect.stringMatching(/pair this/), expect.stringMatching(/pair this/)]);
    const stub = env.TELEGRAM_CHAT.getByName(`chat:${stranger.id}`);
    const alarm = await runInDurableObject(stub, async (_obj, state) => {
      expect([...state.storage.kv.list({ prefix: "update:" })]).toEqual([]);
      // As an instance that went away between accepting an update and handling it leaves it.
      state.storage.kv.put(`update:${"9".repeat(16)}`, update(stranger, "left behind"));
      return state.storage.getAlarm();
    });
    // The second message set no alarm of its own: the first's is still pending, about BACKSTOP_MS out.
    expect(alarm).toBeGreaterThan(Date.now() + 20_000);
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await waitForMessages(stranger.id, 3)).toHaveLength(3);
    await runInDurableObject(stub, async (_obj, state) => expect([...state.storage.kv.list({ prefix: "update:" })]).toEqual([]));
  });

  it("handles one chat's updates in order: a question sent right after /agent goes to the new agent", async () => {
    const { api, person } = await pairedTeam("tg-order");
    const second = await api.agents.create.mutate({ templateId: "research-analyst", name: "Second", model: "custom/echo" });
    // As Telegram delivers: one after the other, each as soon as the previous one was acknowledged.
    await say(person, "/agent 2");
    await say(person, "who answers?");
    const replies = await waitForMessages(person.id, 3);
    expect(replies.slice(1)).toEqual(["Second answers you now.", "Echo: who answers?"]);
    expect((await telegramRuns(api))[0]!.agentId).toBe(second.id);
  });

  it("tells an unpaired user how to pair, and a group chat that it only talks in DMs", async () => {
    const stranger = newPerson();
    await say(stranger, "hello?");
    expect((await waitForMessages(stranger.id, 1))[0]).toMatch(/pair this Telegram account first/);
    const grouped = newPerson();
    await say(grouped, "/help", { chat: "group" });
    // Updates are handled after the webhook answered (from the queue): poll for the bot's reply.
    await expect
      .poll(async () => (await botCalls()).filter((c) => Number(c.params.chat_id) === -grouped.id).map((c) => c.params.text))
      .toEqual([expect.stringMatching(/only talk in direct messages/)]);
  });
});

describe("talking to the team's agent", () => {
  it("a message becomes a telegram run of the team's agent and the reply comes back (at once: no typing shown)", async () => {
    const { api, person, agent } = await pairedTeam("tg-talk");
    const res = await say(person, "what is the weather");
    expect(res.status).toBe(200);
    const replies = await waitForMessages(person.id, 2);
    expect(replies[1]).toBe("Echo: what is the weather");
    const [run] = await telegramRuns(api);
    expect(run).toMatchObject({ agentId: agent.id, status: "succeeded", input: "what is the weather", source: "telegram" });
    await new Promise((r) => setTimeout(r, TYPING_AFTER_MS + 200));
    expect((await botCalls()).some((c) => c.method === "sendChatAction" && Number(c.params.chat_id) === person.id)).toBe(false);
    // It is a conversation too, the paired member's, read-only in the dashboard; the next message continues it.
    await say(person, "and tomorrow?");
    await waitForMessages(person.id, 3);
    const [conv] = (await api.conversations.list.query({ agentId: agent.id })).items;
    expect(conv).toMatchObject({ source: "telegram", mine: true, writable: false, turns: 2, title: "what is the weather" });
    const got = await api.conversations.get.query({ id: conv!.id });
    expect(got.history.map((t) => t.output)).toEqual(["Echo: what is the weather", "Echo: and tomorrow?"]);
    const refused = await expectTrpcError(
      api.conversations.send.mutate({ conversationId: conv!.id, input: "from the web" }),
      "PRECONDITION_FAILED",
    );
    expect(refused.message).toBe("This conversation is written from Telegram");
  });

  it("shows typing while a slower turn runs, then the reply", async () => {
    const { person } = await pairedTeam("tg-typing", "slow-1300");
    await say(person, "think about it");
    expect((await waitForMessages(person.id, 2))[1]).toBe("Echo: think about it");
    const calls = (await botCalls()).filter((c) => Number(c.params.chat_id) === person.id);
    const typing = calls.findIndex((c) => c.method === "sendChatAction" && c.params.action === "typing");
    expect(typing).toBeGreaterThan(-1);
    expect(typing).toBeLessThan(calls.findIndex((c) => c.method === "sendMessage" && c.params.text === "Echo: think about it"));
  });

  it("splits a long reply into messages under Telegram's limit, losing nothing", async () => {
    const { api, person } = await pairedTeam("tg-long", "long-9000");
    await say(person, "write a lot");
    const replies = (await waitForMessages(person.id, 4)).slice(1);
    expect(replies).toHaveLength(3);
    for (const r of replies) expect(r.length).toBeLessThanOrEqual(4096);
    const [run] = await telegramRuns(api);
    const output = (await api.runs.get.query({ id: run!.id })).output!;
    expect(output.length).toBe(9000);
    expect(replies.join("").replace(/\s+/g, "")).toBe(output.replace(/\s+/g, ""));
  });

  it("near its budget, the team's Telegram users each hear it once a month, on their next reply's last line", async () => {
    const { api, person } = await pairedTeam("tg-budget");
    await say(person, "spend something");
    await waitForMessages(person.id, 2);
    const { usedTokens } = await api.usage.budget.query();
    await api.usage.setBudget.mutate({ monthlyTokens: Math.ceil(usedTokens / 0.8) + 1_000_000 });
    // Far from the budget: no notice.
    await say(person, "still fine");
    expect((await waitForMessages(person.id, 3))[2]).not.toContain("budget");
    // At 80 % or more: the next reply says so, once.
    await api.usage.setBudget.mutate({ monthlyTokens: Math.ceil((await api.usage.budget.query()).usedTokens / 0.9) });
    await say(person, "getting close");
    const warned = (await waitForMessages(person.id, 4))[3]!;
    // (This turn's own tokens may have taken it past 100 %: then the line says the budget is used up.)
    expect(warned).toMatch(/^Echo: getting close\n\n⚠️ This team(?: has used \d+ % of its|'s) monthly token budget of [\d,]+ tokens/);
    // Once: the next reply (an answer, or the refusal if that turn used the budget up) carries no notice line.
    await say(person, "and again");
    expect((await waitForMessages(person.id, 5))[4]).not.toContain("⚠️");
  });

  it("a failed run answers with the reason, once; a retried run answers once", async () => {
    const failing = await pairedTeam("tg-fail", "fail-400");
    await say(failing.person, "this will fail");
    expect((await waitForMessages(failing.person.id, 2))[1]).toMatch(/^Sorry, that did not work: Model provider answered 400/);

    const flaky = await pairedTeam("tg-flaky", "flaky");
    await say(flaky.person, "try again");
    await expect.poll(async () => (await telegramRuns(flaky.api)).length).toBe(1);
    const [run] = await telegramRuns(flaky.api);
    expect((await waitForRun(flaky.api, run!.id)).attempts).toBe(2);
    await waitForMessages(flaky.person.id, 2);
    await new Promise((r) => setTimeout(r, 1000));
    expect(await sentTo(flaky.person.id)).toEqual([expect.stringContaining("Paired"), "Echo: try again"]);
  });

  it("two teams' people each reach only their own team's agent", async () => {
    const a = await pairedTeam("tg-team-a");
    const b = await pairedTeam("tg-team-b");
    await say(a.person, "from a");
    await say(b.person, "from b");
    expect((await waitForMessages(a.person.id, 2))[1]).toBe("Echo: from a");
    expect((await waitForMessages(b.person.id, 2))[1]).toBe("Echo: from b");
    expect((await telegramRuns(a.api)).map((r) => [r.input, r.agentId])).toEqual([["from a", a.agent.id]]);
    expect((await telegramRuns(b.api)).map((r) => [r.input, r.agentId])).toEqual([["from b", b.agent.id]]);
    expect(await a.api.telegram.pairings.query()).toEqual([expect.objectContaining({ telegramUserId: a.person.id })]);
  });

  it("/agent lists and switches the agent; the team's default answers those who did not pick", async () => {
    const { api, person, agent } = await pairedTeam("tg-agents");
    const second = await api.agents.create.mutate({ templateId: "research-analyst", name: "Researcher", model: "custom/echo" });
    await say(person, "/agent");
    expect((await waitForMessages(person.id, 2))[1]).toMatch(/1\. Agent echo {2}← answers you\n2\. Researcher/);
    await say(person, "/agent 2");
    expect((await waitForMessages(person.id, 3))[2]).toBe("Researcher answers you now.");
    await say(person, "to the researcher");
    await waitForMessages(person.id, 4);
    expect((await telegramRuns(api))[0]!.agentId).toBe(second.id);

    // The team default: for a newly paired person.
    expect((await api.telegram.setDefaultAgent.mutate({ agentId: second.id })).defaultAgentId).toBe(second.id);
    const { code } = await api.telegram.createPairingCode.mutate();
    const newcomer = newPerson();
    await say(newcomer, `/start ${code}`);
    await waitForMessages(newcomer.id, 1);
    await say(newcomer, "/status");
    const status = (await waitForMessages(newcomer.id, 2))[1]!;
    expect(status).toContain("Team: Team tg-agents");
    expect(status).toContain("Agent: Researcher");
    expect(status).toContain("Plan: Development (billing is off on this AutoClaw)");
    expect(agent.id).not.toBe(second.id);
    // Another team's agent cannot be the default.
    const other = await signUpWithTeam("tg-agents-other");
    const foreign = await agentOnFakeModel(other.api);
    await expectTrpcError(api.telegram.setDefaultAgent.mutate({ agentId: foreign.id }), "NOT_FOUND");
  });

  it("/skills lists the agent's enabled skills the team has not hidden; /help and unknown commands answer", async () => {
    const { api, person } = await pairedTeam("tg-cmds");
    await say(person, "/skills");
    // The personal assistant's template turns on the Productivity pack.
    expect((await waitForMessages(person.id, 2))[1]).toBe("Agent echo can use: notion, taskflow, taskflow-inbox-triage, trello, weather");
    await api.skills.updatePolicy.mutate({
      policies: [
        { name: "weather", hidden: true },
        { name: "notion", enabled: false },
      ],
    });
    await say(person, "/skills");
    expect((await waitForMessages(person.id, 3))[2]).toBe("Agent echo can use: taskflow, taskflow-inbox-triage, trello");
    await say(person, "/help");
    expect((await waitForMessages(person.id, 4))[3]).toMatch(/\/status/);
    await say(person, "/frobnicate");
    expect((await waitForMessages(person.id, 5))[4]).toMatch(/do not know that command/);
  });

  it("/unpair in Telegram and Unpair in the dashboard both disconnect; messages then get instructions", async () => {
    const { api, person } = await pairedTeam("tg-unpair");
    await say(person, "/unpair");
    expect((await waitForMessages(person.id, 2))[1]).toBe("Unpaired from Team tg-unpair. Pair again any time with a new code.");
    expect(await api.telegram.pairings.query()).toEqual([]);
    await say(person, "still there?");
    expect((await waitForMessages(person.id, 3))[2]).toMatch(/pair this Telegram account first/);
    expect(await telegramRuns(api)).toEqual([]);

    const { code } = await api.telegram.createPairingCode.mutate();
    await say(person, `/start ${code}`);
    await waitForMessages(person.id, 4);
    expect(await api.telegram.unpair.mutate({ telegramUserId: person.id })).toEqual([]);
    await expectTrpcError(api.telegram.unpair.mutate({ telegramUserId: person.id }), "NOT_FOUND");
  });

  it("removing a member unpairs the Telegram account they paired and voids their unused codes, in one batch", async () => {
    const { api, team } = await signUpWithTeam("tg-leaver");
    await agentOnFakeModel(api);
    const leaver = await signUp("tg-leaver-mate");
    await joinTeam(api, leaver);
    const overview = await api.tenants.current.query();
    const asLeaver = client({ cookie: leaver.cookie });
    const person = newPerson("Leaver");
    await say(person, `/start ${(await asLeaver.telegram.createPairingCode.mutate()).code}`);
    expect((await waitForMessages(person.id, 1))[0]).toContain("Paired with Team tg-leaver");
    const unused = await asLeaver.telegram.createPairingCode.mutate();
    // The owner's own pairing stays.
    const ownersPerson = newPerson("Owner");
    await say(ownersPerson, `/start ${(await api.telegram.createPairingCode.mutate()).code}`);
    await waitForMessages(ownersPerson.id, 1);

    await api.tenants.removeMember.mutate({ userId: overview.members.find((m) => m.email === leaver.email)!.userId });
    expect((await api.telegram.pairings.query()).map((p) => p.telegramUserId)).toEqual([ownersPerson.id]);
    expect((await api.telegram.status.query()).pendingCodes).toEqual([]);
    // Their next message starts nothing and gets the unpaired answer; their old code pairs no one.
    await say(person, "am I still in?");
    expect((await waitForMessages(person.id, 2))[1]).toMatch(/pair this Telegram account first/);
    await say(newPerson("Stranger"), `/start ${unused.code}`);
    expect(await telegramRuns(api)).toEqual([]);
    const rows = await env.DB.prepare("select count(*) as n from telegram_pairings where tenant_id = ?")
      .bind(team.id)
      .first<{ n: number }>();
    expect(rows!.n).toBe(1);
  });
});

describe("settings and formatting", () => {
  it("Telegram is off, naming the settings that turn it on, when the bot is not configured", () => {
    const base = { APP_URL: "http://127.0.0.1:5173", BETTER_AUTH_SECRET: "x".repeat(40), ENCRYPTION_KEY: env.ENCRYPTION_KEY };
    expect(telegramConfig(parseSettings(base))).toMatchObject({
      enabled: false,
      missing: ["TELEGRAM_BOT_TOKEN", "TELEGRAM_BOT_USERNAME", "TELEGRAM_WEBHOOK_SECRET"],
    });
    expect(() => parseSettings({ ...base, TELEGRAM_BOT_TOKEN: "not a token" })).toThrow(/TELEGRAM_BOT_TOKEN must look like/);
  });

  it("splits at paragraph, line or word breaks, never above the limit", () => {
    const text = ["a".repeat(30), "b".repeat(30), "c".repeat(30)].join("\n\n");
    expect(splitMessage(text, 70)).toEqual([`${"a".repeat(30)}\n\n${"b".repeat(30)}`, "c".repeat(30)]);
    expect(splitMessage("x".repeat(250), 100)).toEqual(["x".repeat(100), "x".repeat(100), "x".repeat(50)]);
    expect(splitMessage("  ")).toEqual(["(The agent gave an empty answer.)"]);
  });
});
