// Live run events (runs.events over SSE) and conversations, through the real Worker, its
// AgentSession Durable Objects and D1, against the fake model (direct mode: the Worker calls it).
import type { LiveRunEvent } from "@autoclaw/shared";
import { describe, expect, it } from "vitest";
import { agentOnFakeModel, client, expectTrpcError, fakeRequests, joinTeam, signUp, signUpWithTeam, unique, waitForRun } from "./helpers";

type Api = ReturnType<typeof client>;

/** Watches a run until `done` (or until `stopAfter` events, then hangs up), as a subscriber would. */
function watch(api: Api, runId: string, opts: { lastEventId?: string; stopAfter?: number } = {}) {
  return new Promise<LiveRunEvent[]>((resolve, reject) => {
    const got: LiveRunEvent[] = [];
    const sub = api.runs.events.subscribe(
      { runId, lastEventId: opts.lastEventId },
      {
        onData: ({ id, data }) => {
          expect(id).toBe(String(data.seq));
          got.push(data);
          if (data.type === "done" || got.length === opts.stopAfter) {
            sub.unsubscribe();
            resolve(got);
          }
        },
        onError: (e) => {
          sub.unsubscribe();
          reject(e);
        },
      },
    );
  });
}

const textOf = (events: LiveRunEvent[]) =>
  events
    .filter((e) => e.type === "token")
    .map((e) => e.text)
    .join("");

describe("runs.events: what a run does, as it happens", () => {
  it("two watchers get the same ordered events, the reply's tokens before the run ends", async () => {
    const { api } = await signUpWithTeam("live-two");
    const agent = await agentOnFakeModel(api, "drip-120");
    const input = `${unique("live")} one two three four five six`;
    const { id } = await api.runs.create.mutate({ agentId: agent.id, input });
    const [a, b] = await Promise.all([watch(api, id), watch(api, id)]);
    expect(a).toEqual(b);
    expect(a.map((e) => e.seq)).toEqual(a.map((_, i) => i + 1));
    const kinds = a.map((e) => (e.type === "status" ? e.phase : e.type));
    expect(kinds[0]).toBe("queued");
    expect(kinds).toContain("running");
    expect(kinds.filter((k) => k === "token").length).toBeGreaterThan(5);
    expect(a.at(-2)).toMatchObject({ type: "artifact", name: "output.md" });
    const done = a.at(-1)!;
    expect(done).toMatchObject({ type: "done", status: "succeeded" });
    const run = await api.runs.get.query({ id });
    expect(textOf(a)).toBe(run.output);
    expect(done.type === "done" && done.output).toBe(run.output);
    // The first token reached the watchers well before the run finished.
    const firstToken = a.find((e) => e.type === "token")!;
    expect(new Date(firstToken.at).getTime()).toBeLessThan(new Date(run.finishedAt!).getTime() - 300);
  });

  it("a watcher that reconnects resumes after the last event it saw: nothing lost, nothing doubled", async () => {
    const { api } = await signUpWithTeam("live-resume");
    const agent = await agentOnFakeModel(api, "drip-100");
    const { id } = await api.runs.create.mutate({ agentId: agent.id, input: `${unique("resume")} a b c d e f g h` });
    // Hang up mid-run after four events, then come back from the fourth.
    const first = await watch(api, id, { stopAfter: 4 });
    const rest = await watch(api, id, { lastEventId: String(first.at(-1)!.seq) });
    const whole = await watch(api, id);
    expect([...first, ...rest]).toEqual(whole);
    expect(whole.at(-1)).toMatchObject({ type: "done", status: "succeeded" });
    // A late watcher replays the whole run from the log; from a later point, only what follows it.
    expect(await watch(api, id, { lastEventId: "6" })).toEqual(whole.slice(6));
  });

  it("another team's run is NOT_FOUND, and a conversation is private to its owner and the team's admins", async () => {
    const { api, team } = await signUpWithTeam("live-private");
    const mate = await signUp("live-private-mate");
    await joinTeam(api, mate);
    const asMate = client({ cookie: mate.cookie, tenantId: team.id });
    const agent = await agentOnFakeModel(api, "echo");
    const conv = await api.conversations.create.mutate({ agentId: agent.id });
    const { runId } = await api.conversations.send.mutate({ conversationId: conv.id, input: `${unique("private")} hello` });
    await waitForRun(api, runId);

    const stranger = (await signUpWithTeam("live-stranger")).api;
    expect((await expectTrpcError(watch(stranger, runId), "NOT_FOUND")).message).toBe("Run not found");
    await expectTrpcError(stranger.conversations.get.query({ id: conv.id }), "NOT_FOUND");
    // A member of the same team: not theirs, and the team keeps conversations private.
    await expectTrpcError(watch(asMate, runId), "NOT_FOUND");
    await expectTrpcError(asMate.runs.get.query({ id: runId }), "NOT_FOUND");
    await expectTrpcError(asMate.conversations.get.query({ id: conv.id }), "NOT_FOUND");
    expect((await asMate.runs.list.query({})).items.map((r) => r.id)).not.toContain(runId);
    expect((await asMate.conversations.list.query({})).items).toHaveLength(0);

    // The team opens conversations to every member: visible, still not theirs to write in.
    await expectTrpcError(asMate.conversations.setVisibility.mutate({ visibility: "team" }), "FORBIDDEN");
    await api.conversations.setVisibility.mutate({ visibility: "team" });
    const seen = await asMate.conversations.get.query({ id: conv.id });
    expect(seen).toMatchObject({ mine: false, writable: false, owner: { name: "Test live-private" } });
    expect((await watch(asMate, runId)).at(-1)).toMatchObject({ type: "done", status: "succeeded" });
    await expectTrpcError(asMate.conversations.send.mutate({ conversationId: conv.id, input: "me too" }), "FORBIDDEN");
  });

  it("cancelling a streaming run ends it canceled, keeps what it wrote, and stops the model call", async () => {
    const { api } = await signUpWithTeam("live-cancel");
    const agent = await agentOnFakeModel(api, "drip-250");
    const tag = unique("cancel-live");
    const words = Array.from({ length: 40 }, (_, i) => `w${i}`).join(" ");
    const { id } = await api.runs.create.mutate({ agentId: agent.id, input: `${tag} ${words}` });
    const watching = watch(api, id);
    // Cancel once the reply has started streaming.
    await new Promise<void>((resolve, reject) => {
      const sub = api.runs.events.subscribe(
        { runId: id },
        {
          onData: ({ data }) => {
            if (data.type === "token") {
              sub.unsubscribe();
              resolve();
            }
          },
          onError: reject,
        },
      );
    });
    expect(await api.runs.cancel.mutate({ id })).toEqual({ id, status: "canceled" });
    const events = await watching;
    const done = events.at(-1)!;
    expect(done).toMatchObject({ type: "done", status: "canceled" });
    const run = await api.runs.get.query({ id });
    expect(run.status).toBe("canceled");
    expect(run.output).toBe(textOf(events));
    expect(run.output!.length).toBeGreaterThan(0);
    expect(run.output!.length).toBeLessThan(words.length);
    // The model call was hung up on, not left to finish.
    await expect.poll(async () => (await fakeRequests(tag))[0]?.abortedAt ?? null, { timeout: 5000 }).not.toBeNull();
    expect((await fakeRequests(tag))[0]!.endedAt).toBeNull();
    // Nothing runs it again.
    await new Promise((r) => setTimeout(r, 1500));
    expect((await api.runs.get.query({ id })).status).toBe("canceled");
    expect(await fakeRequests(tag)).toHaveLength(1);
  });
});

describe("conversations", () => {
  it("a conversation's turns share one session: the second turn carries the first; a new conversation starts fresh", async () => {
    const { api } = await signUpWithTeam("conv-memory");
    const agent = await agentOnFakeModel(api, "echo");
    const tag = unique("memory");
    const conv = await api.conversations.create.mutate({ agentId: agent.id });
    expect(conv).toMatchObject({ title: "New conversation", turns: 0, mine: true, writable: true, source: "webchat" });
    const one = await api.conversations.send.mutate({ conversationId: conv.id, input: `${tag} My name is Ada` });
    await waitForRun(api, one.runId);
    const two = await api.conversations.send.mutate({ conversationId: conv.id, input: `${tag} What is my name?` });
    await waitForRun(api, two.runId);
    const [, second] = await fakeRequests(tag);
    expect(second!.messages.map((m) => m.content)).toContain(`${tag} My name is Ada`);

    const fresh = await api.conversations.create.mutate({ agentId: agent.id, title: "Another" });
    const three = await api.conversations.send.mutate({ conversationId: fresh.id, input: `${tag} What is my name, again?` });
    await waitForRun(api, three.runId);
    const third = (await fakeRequests(tag))[2]!;
    expect(third.messages.map((m) => m.content)).not.toContain(`${tag} My name is Ada`);

    // History, newest conversation first, named after its first message until renamed.
    const got = await api.conversations.get.query({ id: conv.id });
    expect(got.title).toBe(`${tag} My name is Ada`);
    expect(got.history.map((t) => [t.input, t.status])).toEqual([
      [`${tag} My name is Ada`, "succeeded"],
      [`${tag} What is my name?`, "succeeded"],
    ]);
    expect(got.history[0]!.output).toBe(`Echo: ${tag} My name is Ada`);
    expect((await api.conversations.list.query({ agentId: agent.id })).items.map((c) => c.id)).toEqual([fresh.id, conv.id]);
    expect((await api.runs.get.query({ id: one.runId })).source).toBe("webchat");

    // runs.create continues a conversation too, with that conversation's agent only.
    const other = await api.agents.create.mutate({ templateId: "personal-assistant", name: "Other", model: "custom/echo" });
    const wrong = await expectTrpcError(api.runs.create.mutate({ agentId: other.id, input: "hi", conversationId: conv.id }), "BAD_REQUEST");
    expect(wrong.message).toBe("That conversation is with another agent");
    const viaRuns = await api.runs.create.mutate({ agentId: agent.id, input: `${tag} and now?`, conversationId: conv.id });
    await waitForRun(api, viaRuns.id);
    expect((await api.conversations.get.query({ id: conv.id })).turns).toBe(3);

    // Renamed, then removed: gone from the list, its runs kept.
    expect((await api.conversations.rename.mutate({ id: conv.id, title: "Ada's chat" })).title).toBe("Ada's chat");
    await api.conversations.remove.mutate({ id: conv.id });
    await expectTrpcError(api.conversations.get.query({ id: conv.id }), "NOT_FOUND");
    expect((await api.conversations.list.query({ agentId: agent.id })).items.map((c) => c.id)).toEqual([fresh.id]);
    expect((await api.runs.get.query({ id: one.runId })).status).toBe("succeeded");
  });

  it("bad input changes nothing and says what is wrong", async () => {
    const { api } = await signUpWithTeam("conv-bad");
    const agent = await agentOnFakeModel(api, "echo");
    const conv = await api.conversations.create.mutate({ agentId: agent.id });
    const empty = await expectTrpcError(api.conversations.send.mutate({ conversationId: conv.id, input: "   " }), "BAD_REQUEST");
    expect(empty.data?.issues?.[0]?.message).toBe("Write a message");
    await expectTrpcError(api.conversations.rename.mutate({ id: conv.id, title: "x".repeat(121) }), "BAD_REQUEST");
    await expectTrpcError(api.conversations.create.mutate({ agentId: "agent_nope" }), "NOT_FOUND");
    await expectTrpcError(watch(api, "run_nope"), "NOT_FOUND");
    expect((await api.conversations.get.query({ id: conv.id })).turns).toBe(0);
  });
});
