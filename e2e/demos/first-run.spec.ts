// Demo 1: a new team goes from sign-up to its first agent's first answer.
import { expect, test } from "@playwright/test";
import { signUpAndCreateTeam, withFakeModel } from "../tests/helpers";
import { startDemo } from "./demo";

const model = withFakeModel();

test("first run: sign up, an agent from a template, its first run", async ({ browser }) => {
  const demo = await startDemo(browser, "first-run");
  const page = await demo.window("dashboard");
  await page.goto("/signup");
  await demo.caption(page, "A new team signs up: no Cloudflare, model or Telegram account needed to try it");
  await signUpAndCreateTeam(page, "Rosa Founder", "Lobster Labs", "demo-first");
  await demo.caption(page, "The team's dashboard: agents, runs and the team's own OpenClaw runtime");

  await page.getByRole("link", { name: "Model keys", exact: true }).click();
  await demo.caption(page, "Bring your own model key: here an OpenAI-compatible server (a local one)");
  const custom = page.locator('[data-provider="custom"]');
  await custom.getByRole("button", { name: "Add key" }).click();
  await page.getByLabel("Base URL").fill(model.url());
  await page.getByLabel("API key").fill("sk-demo-first-run-4821");
  await page.getByRole("button", { name: "Save key" }).click();
  await expect(custom).toContainText("••••4821");
  await demo.caption(page, "The key is stored encrypted and shown only by its last four characters");

  await page.getByRole("link", { name: "Agents", exact: true }).click();
  await demo.caption(page, "Agents start from templates: each brings its persona, files and skills");
  await page.getByRole("button", { name: "Use template Research analyst" }).click();
  await page.getByLabel("Name").fill("Scout");
  await page.getByLabel("Model").fill("custom/echo");
  await demo.caption(page, "A research analyst named Scout, on the team's own model");
  await page.getByRole("button", { name: "Create agent" }).click();
  await expect(page.getByRole("heading", { name: "Scout" })).toBeVisible();

  await page.getByLabel("Ask Scout").fill("Compare lobsters and crabs in three bullet points");
  await demo.caption(page, "The first run: ask Scout something");
  await page.getByRole("button", { name: "Start run" }).click();
  await expect(page).toHaveURL(/\/runs\/run_/);
  await demo.caption(page, "The run is queued at once; the first one starts the team's OpenClaw runtime");
  await expect(page.getByTestId("run-status")).toHaveText("succeeded", { timeout: 180_000 });
  await expect(page.getByTestId("run-output")).toContainText("Compare lobsters and crabs");
  await demo.caption(page, "Done: the answer, the timeline of the run, and its output file to download");

  await page.getByRole("link", { name: "Runs", exact: true }).click();
  await expect(page.getByTestId("runs")).toContainText("Scout");
  await demo.caption(page, "Every run is kept: who started it, from where, how long it took, what it used");
  expect(await demo.finish()).toHaveLength(1);
});
