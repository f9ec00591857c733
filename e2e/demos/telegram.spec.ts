// Demo 2: a member pairs their Telegram account with the team's bot and talks to the agent there.
import { expect, test } from "@playwright/test";
import { TELEGRAM } from "../settings";
import { customKeyAndAgent, signUpAndCreateTeam, withFakeModel } from "../tests/helpers";
import { startDemo } from "./demo";

const model = withFakeModel();

test("telegram: pair with a one-time code, then chat with the agent in Telegram", async ({ browser }) => {
  const demo = await startDemo(browser, "telegram");
  const page = await demo.window("dashboard");
  await page.goto("/signup");
  await signUpAndCreateTeam(page, "Tess Telegram", "Harbor Team", "demo-telegram");
  await customKeyAndAgent(page, { baseUrl: model.url(), apiKey: "sk-demo-telegram-5120", agent: "Harbor", model: "custom/echo" });
  await demo.caption(page, "A team with one agent, Harbor. Its members will talk to it from Telegram");

  await page.getByRole("link", { name: "Telegram", exact: true }).click();
  await demo.caption(page, "One shared bot for every team: each member pairs their own Telegram account");
  await page.getByRole("button", { name: "Pair Telegram" }).first().click();
  const code = (await page.getByTestId("pairing-code").textContent())!.replace("/start", "").trim();
  await demo.caption(page, "A one-time code (and a QR code for the phone), valid for a few minutes");

  const person = { id: 515_000_000 + Math.floor(Math.random() * 100_000), name: "Tess", username: "tess_tg" };
  const phone = await demo.window("telegram");
  await phone.goto(`http://127.0.0.1:${TELEGRAM.port}/chat?user=${person.id}&name=${person.name}&username=${person.username}`);
  await demo.caption(phone, "Telegram (a local stand-in that speaks the real Bot API): Tess opens the bot");
  await phone.getByLabel("Message").fill(`/start ${code}`);
  await phone.getByRole("button", { name: "Send" }).click();
  const log = phone.getByTestId("telegram-log");
  await expect(log).toContainText("Paired with Harbor Team");
  await demo.caption(phone, "Paired: the bot knows Tess is in Harbor Team");

  await page.getByRole("button", { name: "Done" }).click();
  await expect(page.getByTestId("telegram-pairings")).toContainText("@tess_tg");
  await demo.caption(page, "The dashboard shows the pairing; an admin can remove it at any time");

  await phone.getByLabel("Message").fill("What is on the harbor schedule today?");
  await phone.getByRole("button", { name: "Send" }).click();
  await demo.caption(phone, "Tess asks the agent; the first message starts the team's runtime");
  await expect(log).toContainText("Echo: What is on the harbor schedule today?", { timeout: 180_000 });
  await demo.caption(phone, "Harbor answers in Telegram, in one conversation that remembers what was said");

  await page.getByRole("link", { name: "Runs", exact: true }).click();
  await expect(page.getByTestId("runs")).toContainText("telegram");
  await demo.caption(page, "Back in the dashboard: the Telegram turn is a run like any other, metered and kept");
  expect(await demo.finish()).toHaveLength(2);
});
