import { expect, test } from "./fixtures";
import { customKeyAndAgent, signUpAndCreateTeam, snap, withFakeModel } from "./helpers";

const model = withFakeModel();

// "Run now" starts the team's runtime (a plain gateway spawn on this machine) for its first turn.
test.setTimeout(300_000);

test("a Daily briefing agent on weekdays at 08:00: the next fire times in local time, and run now makes a run", async ({ page }) => {
  await page.goto("/signup");
  await signUpAndCreateTeam(page, "Sam Schedule", "Morning Crew", "schedules");
  await customKeyAndAgent(page, {
    baseUrl: model.url(),
    apiKey: "sk-e2e-schedule-key-2718",
    agent: "Briefer",
    model: "custom/echo",
    template: "Daily briefing",
  });

  await expect(page.getByText("No schedules")).toBeVisible();
  await page.getByRole("button", { name: "New schedule" }).click();
  const dialog = page.getByRole("dialog", { name: "New schedule" });
  await dialog.getByLabel(/^Runs/).selectOption("weekdays");
  await dialog.getByLabel(/^At\b/).fill("08:00");
  await dialog.getByLabel(/^Timezone/).selectOption("Europe/Berlin");
  await dialog.getByLabel("What the agent should do").fill("Write this morning's briefing");
  await snap(page, "schedules-01-new");
  await dialog.getByRole("button", { name: "Create schedule" }).click();

  const row = page.getByTestId("schedule");
  await expect(row).toContainText("At 08:00, Monday through Friday");
  await expect(row).toContainText("(Europe/Berlin)");
  const times = row.getByTestId("next-runs").getByRole("listitem");
  await expect(times).toHaveCount(5);
  for (const t of await times.allTextContents()) expect(t).toMatch(/^(Mon|Tue|Wed|Thu|Fri) \d{1,2} \w{3}, 08:00$/);
  await snap(page, "schedules-02-created");

  await row.getByRole("button", { name: "Run now" }).click();
  await expect(row.getByTestId("firings")).toContainText("ran");
  await row.getByRole("link", { name: "the run" }).click();
  await expect(page.getByTestId("run-status")).toHaveText("succeeded", { timeout: 150_000 });
  await expect(page.getByText("Write this morning's briefing").first()).toBeVisible();
  await snap(page, "schedules-03-run");
});
