// Demo 3: what the team's OpenClaw may use — read from the running runtime, switched per team.
import { expect, test } from "@playwright/test";
import { customKeyAndAgent, signUpAndCreateTeam, withFakeModel } from "../tests/helpers";
import { startDemo } from "./demo";

const model = withFakeModel();

test("skills policy: see the runtime's skills, switch one off live, apply a pack", async ({ browser }) => {
  const demo = await startDemo(browser, "skills");
  const page = await demo.window("dashboard");
  await page.goto("/signup");
  await signUpAndCreateTeam(page, "Sam Skills", "Policy Crew", "demo-skills");
  await customKeyAndAgent(page, { baseUrl: model.url(), apiKey: "sk-demo-skills-7310", agent: "Pia", model: "custom/echo" });

  await page.getByRole("link", { name: "Runtime", exact: true }).click();
  await demo.caption(page, "Each team has its own OpenClaw runtime; start it to see what it can do");
  await page.getByRole("button", { name: "Start" }).click();
  await expect(page.getByTestId("runtime-state")).toHaveText("ready", { timeout: 180_000 });
  await demo.caption(page, "Running: the team's own gateway, with the team's files and no one else's");

  await page.getByRole("link", { name: "Skills", exact: true }).click();
  await expect(page.getByTestId("inventory-at")).toContainText("Read from the runtime");
  await expect.poll(() => page.getByTestId("skills").locator("tr").count()).toBeGreaterThan(40);
  await demo.caption(page, "The skills OpenClaw reports, with what each needs to be usable");

  const weather = page.getByRole("switch", { name: "Enable weather" });
  await expect(weather).toHaveAttribute("aria-checked", "true");
  await demo.caption(page, "Policy is per team: switch the weather skill off…");
  await weather.click();
  await expect(page.getByTestId("applied")).toHaveText("Live on the gateway");
  await expect(weather).toHaveAttribute("aria-checked", "false");
  await demo.caption(page, "…and it is off on the running gateway at once, without a restart");

  await page.locator('[data-pack="briefing"]').getByRole("button", { name: "Apply" }).click();
  await expect(page.getByText("Briefing pack applied", { exact: true })).toBeVisible();
  await expect(page.getByRole("switch", { name: "Enable weather" })).toHaveAttribute("aria-checked", "true");
  await expect(page.getByTestId("skill-history")).toContainText("Sam Skills");
  await demo.caption(page, "Packs switch a set of skills on together; every change is kept with who made it");
  expect(await demo.finish()).toHaveLength(1);
});
