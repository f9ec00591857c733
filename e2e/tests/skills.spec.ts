import { expect, test } from "./fixtures";
import { startFakeModel, type FakeModel } from "../../fakes/openai";
import { customKeyAndAgent, signUpAndCreateTeam, snap } from "./helpers";

let fake: FakeModel;
test.beforeAll(async () => {
  fake = await startFakeModel();
});
test.afterAll(async () => fake.close());

// The runtime is started here (a plain gateway spawn: 17–33 s on this machine), then asked for its skills.
test.setTimeout(300_000);

test("the skills page lists what the team's OpenClaw has: search, switch a skill off, apply a pack, fix a diagnosed skill", async ({
  page,
}) => {
  await page.goto("/signup");
  await signUpAndCreateTeam(page, "Sam Skills", "Skill Crew", "skills");
  await customKeyAndAgent(page, { baseUrl: `${fake.url}/v1`, apiKey: "sk-e2e-skills-key-4410", agent: "Pia", model: "custom/echo" });

  // Before the runtime has run: nothing to list, and the page says why.
  await page.getByRole("link", { name: "Skills", exact: true }).click();
  await expect(page.getByTestId("skills-note")).toContainText("runtime is stopped");
  await snap(page, "60-skills-before-runtime");

  await page.getByRole("link", { name: "Runtime", exact: true }).click();
  await page.getByRole("button", { name: "Start" }).click();
  await expect(page.getByTestId("runtime-state")).toHaveText("ready", { timeout: 150_000 });
  // OpenClaw's own diagnostics of the running gateway.
  await page.getByRole("button", { name: "Check runtime" }).click();
  await expect(page.getByTestId("runtime-check")).toContainText(/warn|info|critical/, { timeout: 60_000 });
  await snap(page, "61-runtime-check");

  // Now read from the runtime itself.
  await page.getByRole("link", { name: "Skills", exact: true }).click();
  await expect(page.getByTestId("inventory-at")).toContainText("Read from the runtime");
  const rows = page.getByTestId("skills").locator("tr");
  await expect.poll(() => rows.count()).toBeGreaterThan(40);
  await snap(page, "62-skills-list");

  // Search narrows the table.
  await page.getByLabel("Search skills").fill("trel");
  await expect(rows).toHaveCount(1);
  await expect(rows.first()).toContainText("trello");
  await page.getByLabel("Search skills").fill("");

  // Switch weather off: live on the running gateway, and still off after a reload.
  const weather = page.getByRole("switch", { name: "Enable weather" });
  await expect(weather).toHaveAttribute("aria-checked", "true");
  await weather.click();
  await expect(page.getByTestId("applied")).toHaveText("Live on the gateway");
  await expect(weather).toHaveAttribute("aria-checked", "false");
  await expect(page.getByTestId("agent-effective")).not.toContainText("weather");
  await page.reload();
  await expect(page.getByRole("switch", { name: "Enable weather" })).toHaveAttribute("aria-checked", "false");

  // Applying the Briefing pack switches its skills on again (weather among them).
  await page.locator('[data-pack="briefing"]').getByRole("button", { name: "Apply" }).click();
  await expect(page.getByText("Briefing pack applied", { exact: true })).toBeVisible();
  await expect(page.getByRole("switch", { name: "Enable weather" })).toHaveAttribute("aria-checked", "true");
  await expect(page.getByTestId("skill-history")).toContainText("briefing pack applied");
  await expect(page.getByTestId("skill-history")).toContainText("Sam Skills");

  // Trello needs two keys: diagnosed, then fixed inline.
  await page.getByLabel("Filter").selectOption("not-eligible");
  await page.getByLabel("Search skills").fill("trello");
  await page.getByRole("button", { name: /needs TRELLO_API_KEY, TRELLO_TOKEN — why\?/ }).click();
  const dialog = page.getByRole("dialog");
  await expect(dialog.getByTestId("diagnosis")).toContainText("Set TRELLO_API_KEY");
  await dialog.getByLabel("TRELLO_API_KEY").fill("e2e-trello-key-secret");
  await dialog.getByLabel("TRELLO_TOKEN").fill("e2e-trello-token-secret");
  await snap(page, "63-skills-diagnose");
  await dialog.getByRole("button", { name: "Save" }).click();
  await expect(page.getByText("trello is eligible now", { exact: true })).toBeVisible({ timeout: 60_000 });
  await dialog.getByRole("button", { name: /close/i }).click();
  await page.getByLabel("Filter").selectOption("eligible");
  await expect(rows.first()).toContainText("eligible");
  await expect(page.locator('[data-pack="productivity"]')).not.toContainText("trello (not eligible)");
  await expect(page.locator("body")).not.toContainText("e2e-trello-key-secret");
  await snap(page, "64-skills-fixed");
});
