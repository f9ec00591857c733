import { expect, test } from "./fixtures";
import { deliver, update, type BotCall } from "../../fakes/telegram";
import { API_URL, TELEGRAM } from "../settings";
import { signUpAndCreateTeam, snap } from "./helpers";

const FAKE = `http://127.0.0.1:${TELEGRAM.port}`;
const botCalls = async () => (await (await fetch(`${FAKE}/__calls`)).json()) as BotCall[];

test("a team member pairs Telegram with a one-time code; the pairing appears and can be removed", async ({ page }) => {
  await page.goto("/signup");
  await signUpAndCreateTeam(page, "Tess Telegram", "Tele Crew", "telegram");

  await page.getByRole("link", { name: "Telegram", exact: true }).click();
  await expect(page.getByText("Nobody is paired yet")).toBeVisible();
  await snap(page, "40-telegram-empty");

  await page.getByRole("button", { name: "Pair Telegram" }).first().click();
  const shown = await page.getByTestId("pairing-code").textContent();
  const code = shown!.replace("/start", "").trim();
  expect(code).toMatch(/^[A-Z2-9]{8}$/);
  await expect(page.getByTestId("pairing-link")).toHaveText(`https://t.me/${TELEGRAM.username}?start=${code}`);
  await expect(page.getByRole("img", { name: "QR code of the pairing link" }).locator("svg")).toBeVisible();
  await snap(page, "41-telegram-code");

  // The person taps the link in Telegram: Telegram sends the bot "/start <code>" (here: to the webhook, as Telegram would).
  const person = { id: 424_242_000 + Math.floor(Math.random() * 1000), firstName: "Ada", username: "ada_tg" };
  const res = await deliver(`${API_URL}/api/webhooks/telegram`, TELEGRAM.secret, update(person, `/start ${code}`));
  expect(res.status).toBe(200);
  await expect
    .poll(async () =>
      (await botCalls()).filter((c) => c.method === "sendMessage" && Number(c.params.chat_id) === person.id).map((c) => c.params.text),
    )
    .toEqual([expect.stringContaining("Paired with Tele Crew")]);

  await page.getByRole("button", { name: "Done" }).click();
  const rows = page.getByTestId("telegram-pairings");
  await expect(rows).toContainText("Ada");
  await expect(rows).toContainText("@ada_tg");
  await snap(page, "42-telegram-paired");

  await rows.getByRole("button", { name: "Unpair" }).click();
  await page.getByRole("dialog").getByRole("button", { name: "Unpair" }).click();
  await expect(page.getByText("Nobody is paired yet")).toBeVisible();
});
