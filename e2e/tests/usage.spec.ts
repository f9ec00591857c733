import { expect, test } from "./fixtures";
import { customKeyAndAgent, signUpAndCreateTeam, snap, withFakeModel } from "./helpers";

const model = withFakeModel();

// The first run starts the team's runtime (a plain gateway spawn on this machine), then its model calls are metered.
test.setTimeout(300_000);

test("usage: a chart and tables after a few runs; a token budget that is used up refuses the next run", async ({ page }) => {
  await page.goto("/signup");
  await signUpAndCreateTeam(page, "Uma Usage", "Meter Crew", "usage");
  await customKeyAndAgent(page, { baseUrl: model.url(), apiKey: "sk-e2e-usage-key-3141", agent: "Counter", model: "custom/echo" });
  const agentUrl = page.url();
  for (const question of ["How many lobsters are in the tank?", "And how many crabs?"]) {
    await page.goto(agentUrl);
    await page.getByLabel("Ask Counter").fill(question);
    await page.getByRole("button", { name: "Start run" }).click();
    await expect(page.getByTestId("run-status")).toHaveText("succeeded", { timeout: 150_000 });
  }

  await page.getByRole("link", { name: "Usage", exact: true }).click();
  await expect(page.getByRole("heading", { name: "Usage" })).toBeVisible();
  // The chart is drawn (an SVG with one bar per day and kind of token), and the tables name the agent and the model.
  await expect(page.getByTestId("usage-chart").getByRole("application")).toBeVisible();
  await expect(page.getByTestId("usage-chart").locator(".recharts-bar-rectangle").first()).toBeVisible();
  await expect(page.getByTestId("usage-agents")).toContainText("Counter");
  const calls = model.requests().filter((r) => r.authorization === "Bearer sk-e2e-usage-key-3141").length;
  await expect(page.getByTestId("usage-models")).toContainText("custom/echo");
  await expect(page.getByTestId("usage-models").locator("tr").first().locator("td").nth(1)).toHaveText(String(calls));
  await expect(page.getByTestId("usage-models")).toContainText("no price");
  await snap(page, "70-usage");

  // CSV of the period, one row per day.
  const [download] = await Promise.all([page.waitForEvent("download"), page.getByRole("button", { name: "Export CSV" }).click()]);
  expect(download.suggestedFilename()).toMatch(/^autoclaw-usage-\d{4}-\d{2}-\d{2}-\d{4}-\d{2}-\d{2}\.csv$/);

  // A budget smaller than what was used: the banner says so, and a new run is refused with the reason.
  await page.getByLabel("Monthly token budget").fill("100");
  await page.getByRole("button", { name: "Save budget" }).click();
  await expect(page.getByTestId("budget-banner")).toContainText("monthly token budget of 100 tokens is used up");
  await expect(page.getByRole("progressbar", { name: "Tokens" })).toHaveAttribute("aria-valuenow", "100");
  await snap(page, "71-usage-budget-used-up");
  await page.goto(agentUrl);
  await page.getByLabel("Ask Counter").fill("One more, please");
  await page.getByRole("button", { name: "Start run" }).click();
  await expect(
    page.getByText(/monthly token budget of 100 tokens is used up: new runs are refused until it resets on/).first(),
  ).toBeVisible();
  await expect(page).toHaveURL(agentUrl);
  await page.getByRole("link", { name: "Dashboard", exact: true }).click();
  await expect(page.getByTestId("budget-banner")).toContainText("Budget used up");
});
