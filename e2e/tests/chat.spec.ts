import { expect, test } from "./fixtures";
import { startFakeModel, type FakeModel } from "../../fakes/openai";
import { customKeyAndAgent, signUpAndCreateTeam, snap } from "./helpers";

let fake: FakeModel;
test.beforeAll(async () => {
  fake = await startFakeModel();
});
test.afterAll(async () => fake.close());

// The first turn starts the team's runtime (a plain gateway spawn, 17–33 s here); the rest are live turns.
test.setTimeout(300_000);

const words = (n: number, tag: string) => Array.from({ length: n }, (_, i) => `${tag}${i}`).join(" ");

test("a person chats with an agent: it remembers within a conversation, replies stream into two pages at once, and a reply can be stopped", async ({
  page,
  context,
}) => {
  await page.goto("/signup");
  await signUpAndCreateTeam(page, "Cora Chat", "Chat Crew", "chat");
  // Penny streams its (echo) reply one word every 150 ms.
  await customKeyAndAgent(page, { baseUrl: `${fake.url}/v1`, apiKey: "sk-e2e-chat-key-5521", agent: "Penny", model: "custom/drip-150" });

  // The chat: a first conversation, two turns; the second model call carries the first (one OpenClaw session).
  await page.getByRole("link", { name: "Chat", exact: true }).click();
  await page.getByRole("button", { name: "Start a conversation" }).click();
  const message = page.getByLabel("Message");
  await message.fill("My name is Ada");
  await message.press("Enter");
  const replies = page.getByTestId("reply");
  await expect(replies.first()).toContainText("Echo: My name is Ada", { timeout: 150_000 });
  await expect(page.getByTestId("conversation-title")).toHaveText("My name is Ada");
  // Shift+Enter breaks the line instead of sending.
  await message.fill("What is");
  await message.press("Shift+Enter");
  await message.pressSequentially("my name?");
  await expect(message).toHaveValue("What is\nmy name?");
  // While a reply is still finishing the composer shows Stop, and Enter keeps the draft: send once it shows Send
  // again, as a person would (on a busy machine the last words can arrive well before the run has ended).
  await expect(page.getByRole("button", { name: "Send", exact: true })).toBeVisible({ timeout: 60_000 });
  await message.press("Enter");
  await expect(replies.nth(1)).toContainText("my name?", { timeout: 60_000 });
  const second = fake.requests.at(-1)!;
  expect(second.messages.map((m) => m.content).join("\n")).toContain("My name is Ada");
  await snap(page, "70-chat-two-turns");

  // After a reload the history is there.
  await page.reload();
  await expect(page.getByTestId("turn")).toHaveCount(2);
  await expect(replies.first()).toContainText("Echo: My name is Ada");

  // A long reply: tokens arrive in the chat and, at the same time, on the run's page in a second tab.
  await message.fill(words(40, "w"));
  await message.press("Enter");
  const streaming = replies.nth(2);
  await expect(streaming).toContainText("Writing…", { timeout: 30_000 });
  const runHref = await streaming.getByRole("link", { name: "Run" }).getAttribute("href");
  const other = await context.newPage();
  await other.goto(runHref!);
  await expect(other.getByTestId("run-output-live")).toContainText("w3", { timeout: 20_000 });
  await expect(other.getByTestId("run-status")).toHaveText("running");
  await expect(streaming).toContainText("w3");
  const inChat = (await streaming.textContent())!.length;
  await snap(other, "71-run-live-second-tab");
  // Both keep growing until the run ends, and both end with the whole reply.
  await expect(other.getByTestId("run-output")).toContainText("w39", { timeout: 30_000 });
  await expect(streaming).toContainText("w39");
  expect((await streaming.textContent())!.length).toBeGreaterThan(inChat);
  await expect(other.getByTestId("run-status")).toHaveText("succeeded");

  // Stop a streaming reply: the turn ends as stopped, with what it had written, and the model call is hung up on.
  await expect(page.getByRole("button", { name: "Send", exact: true })).toBeVisible({ timeout: 60_000 });
  await message.fill(words(60, "s"));
  await message.press("Enter");
  const stopped = replies.nth(3);
  await expect(stopped).toContainText("s2", { timeout: 30_000 });
  await page.getByRole("button", { name: "Stop" }).click();
  await expect(stopped).toContainText("Stopped.");
  await expect(stopped).not.toContainText("s59");
  await expect.poll(() => fake.requests.at(-1)!.abortedAt, { timeout: 15_000 }).not.toBeNull();
  await snap(page, "72-chat-stopped");

  // A new conversation starts fresh; the first is still in the list.
  await page.getByRole("button", { name: "New conversation" }).click();
  await expect(page.getByTestId("turn")).toHaveCount(0);
  await message.fill("Who am I?");
  await message.press("Enter");
  await expect(page.getByTestId("reply").first()).toContainText("Who am I?", { timeout: 60_000 });
  expect(
    fake.requests
      .at(-1)!
      .messages.map((m) => m.content)
      .join("\n"),
  ).not.toContain("My name is Ada");
  await expect(page.getByTestId("conversations").getByRole("button")).toHaveCount(2);
  await snap(page, "73-chat-new-conversation");
});
