import { expect, test } from "./fixtures";
import { signUpAndCreateTeam, snap } from "./helpers";

test("the audit log shows the API key just created, filters by action, and exports a CSV", async ({ page }) => {
  await page.goto("/signup");
  await signUpAndCreateTeam(page, "Audrey Audit", "Ledger Crew", "audit");

  await page.getByRole("link", { name: "API keys", exact: true }).click();
  await page.getByRole("button", { name: "New API key" }).click();
  await page.getByLabel("Name").fill("Warehouse sync");
  await page.getByRole("button", { name: "Create key" }).click();
  const key = (await page.getByTestId("new-api-key").textContent())!.trim();
  await page.getByRole("button", { name: "Done" }).click();

  await page.getByRole("link", { name: "Audit log" }).click();
  const entries = page.getByTestId("audit-entries");
  const created = entries.locator('tr[data-action="api_key.created"]');
  await expect(created).toHaveCount(1);
  await expect(created).toContainText("Created an API key");
  await expect(created).toContainText(`Warehouse sync (${key.slice(0, 11)}…)`);
  await expect(created).toContainText("Person");
  await expect(entries).not.toContainText(key); // the key itself is never in the log
  await expect(entries.locator('tr[data-action="team.created"]')).toContainText("Ledger Crew");
  await snap(page, "audit-01-log");

  await page.getByLabel("Filter by action").selectOption({ label: "Created the team" });
  await expect(entries.locator("tr")).toHaveCount(1);
  await expect(entries).toContainText("Ledger Crew");
  await page.getByLabel("Filter by action").selectOption({ label: "Every action" });

  const download = page.waitForEvent("download");
  await page.getByRole("button", { name: "Export CSV" }).click();
  const file = await download;
  expect(file.suggestedFilename()).toMatch(/^autoclaw-audit-all-all\.csv$/);
  const { readFile } = await import("node:fs/promises");
  const csv = await readFile((await file.path())!, "utf8");
  expect(csv.split("\n")[0]).toContain("at,action,actor_kind");
  expect(csv).toContain("api_key.created");
  expect(csv).not.toContain(key);

  // The export is itself in the log.
  await page.reload();
  await expect(entries.locator('tr[data-action="audit.exported"]')).toHaveCount(1);
  await snap(page, "audit-02-exported");
});
