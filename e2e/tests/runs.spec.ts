import { readFileSync } from "node:fs";
import { expect, test } from "./fixtures";
import { startFakeModel, type FakeModel } from "../../fakes/openai";
import { signUpAndCreateTeam, snap } from "./helpers";

let fake: FakeModel;
test.beforeAll(async () => {
  fake = await startFakeModel();
});
test.afterAll(async () => fake.close());

// A plain gateway spawn (this suite keeps no warm pool) takes 17–33 s to be ready on this 2-core machine, then a first turn.
test.setTimeout(300_000);

test("a team adds a custom model key, creates an agent from a template, runs it and downloads the output", async ({ page }) => {
  const byok = "sk-e2e-custom-key-7781";
  await page.goto("/signup");
  await signUpAndCreateTeam(page, "Rita Runner", "Run Crew", "runner");

  // Model keys: a custom OpenAI-compatible server (the fake), shown only by its last 4 characters.
  await page.getByRole("link", { name: "Model keys", exact: true }).click();
  await snap(page, "20-model-keys-empty");
  const custom = page.locator('[data-provider="custom"]');
  await custom.getByRole("button", { name: "Add key" }).click();
  await page.getByLabel("Base URL").fill(`${fake.url}/v1`);
  await page.getByLabel("API key").fill(byok);
  await page.getByRole("button", { name: "Save key" }).click();
  await expect(custom).toContainText("••••7781");
  await expect(page.getByTestId("provider-keys")).not.toContainText(byok);
  await snap(page, "21-model-keys-saved");

  // Agents: create one from a template, on the fake's echo model.
  await page.getByRole("link", { name: "Agents", exact: true }).click();
  await expect(page.getByTestId("templates").getByRole("heading")).toHaveCount(4);
  await snap(page, "22-agents-templates");
  await page.getByRole("button", { name: "Use template Research analyst" }).click();
  await page.getByLabel("Name").fill("Scout");
  await page.getByLabel("Model").fill("custom/echo");
  await snap(page, "23-create-agent");
  await page.getByRole("button", { name: "Create agent" }).click();
  await expect(page.getByRole("heading", { name: "Scout" })).toBeVisible();

  // A run: queued at once, then succeeded with the model's text.
  await page.getByLabel("Ask Scout").fill("Compare lobsters and crabs");
  await page.getByRole("button", { name: "Start run" }).click();
  await expect(page).toHaveURL(/\/runs\/run_/);
  // The first run starts the team's OpenClaw runtime, which then answers through the model.
  await expect(page.getByTestId("run-status")).toHaveText("succeeded", { timeout: 150_000 });
  await expect(page.getByTestId("run-output")).toContainText("Echo:");
  await expect(page.getByTestId("run-output")).toContainText("Compare lobsters and crabs");
  await expect(page.getByTestId("run-timeline")).toContainText(/queued/i);
  await expect(page.getByTestId("run-timeline")).toContainText(/starting runtime/i);
  await expect(page.getByTestId("run-timeline")).toContainText(/succeeded/i);
  await snap(page, "24-run-succeeded");
  expect(fake.requests.at(-1)!.authorization).toBe(`Bearer ${byok}`);

  // The artifact downloads through its signed link.
  const [download] = await Promise.all([page.waitForEvent("download"), page.getByRole("link", { name: "Download" }).click()]);
  expect(download.suggestedFilename()).toBe("output.md");
  expect(readFileSync((await download.path())!, "utf8")).toBe(await page.getByTestId("run-output").textContent());

  // The run list shows it; filters narrow it.
  await page.getByRole("link", { name: "Runs", exact: true }).click();
  await expect(page.getByTestId("runs")).toContainText("Compare lobsters and crabs");
  await page.getByLabel("Filter by status").selectOption("failed");
  await expect(page.getByText("No runs match these filters")).toBeVisible();
  await page.getByLabel("Filter by status").selectOption("succeeded");
  await expect(page.getByTestId("runs")).toContainText("Scout");
  await snap(page, "25-runs-list");

  // A model that refuses (400) fails the run with a clear reason, key redacted.
  await page.getByRole("link", { name: "Agents", exact: true }).click();
  await page.getByRole("link", { name: /Scout/ }).click();
  // The agent's workspace as R2 keeps it after its turn: its persona files.
  await expect(page.getByTestId("agent-files")).toContainText("AGENTS.md");
  await expect(page.getByTestId("agent-files")).toContainText("SOUL.md");
  await page.getByRole("button", { name: "Edit" }).click();
  await page.getByLabel("Model").fill("custom/fail-400");
  await page.getByRole("button", { name: "Save" }).click();
  // The page behind a modal is inert: wait until the dialog is gone and the new model shows.
  await expect(page.getByRole("dialog")).toBeHidden();
  await expect(page.getByRole("main").getByText("custom/fail-400")).toBeVisible();
  await page.getByLabel("Ask Scout").fill("This will be refused");
  await expect(page.getByLabel("Ask Scout")).toHaveValue("This will be refused");
  await page.getByRole("button", { name: "Start run" }).click();
  await expect(page.getByTestId("run-status")).toHaveText("failed", { timeout: 60_000 });
  await expect(page.getByTestId("run-error")).toContainText("Model provider answered 400");
  await expect(page.getByTestId("run-error")).not.toContainText(byok);
  await snap(page, "26-run-failed");

  await page.getByRole("link", { name: "Dashboard", exact: true }).click();
  await expect(page.getByText("Runs (30 days)")).toBeVisible();
  await snap(page, "27-dashboard-with-runs");

  // The team's runtime: running since the first run, with its gateway log; stop it.
  await page.getByRole("link", { name: "Runtime", exact: true }).click();
  await expect(page.getByTestId("runtime-state")).toHaveText("ready");
  await expect(page.getByText("2026.9.6", { exact: true })).toBeVisible();
  await expect(page.getByTestId("runtime-logs")).toContainText("gateway");
  await snap(page, "28-runtime-ready");
  // Restart is one procedure: the gateway goes and comes back with fresh secrets, ready again.
  const startedBefore = await page.getByTestId("runtime-started").getAttribute("data-started-at");
  await page.getByRole("button", { name: "Restart" }).click();
  await expect(page.getByText("Runtime restarted")).toBeVisible({ timeout: 90_000 });
  await expect(page.getByTestId("runtime-state")).toHaveText("ready");
  await expect(page.getByTestId("runtime-started")).not.toHaveAttribute("data-started-at", startedBefore ?? "");
  await expect(page.getByTestId("runtime-started")).not.toHaveAttribute("data-started-at", "");
  await page.getByRole("button", { name: "Stop" }).click();
  await expect(page.getByTestId("runtime-state")).toHaveText("stopped", { timeout: 30_000 });
  await snap(page, "29-runtime-stopped");
});
