// Demo 5: a team on the free trial upgrades to Pro through Stripe Checkout.
import { expect, test } from "@playwright/test";
import { signUpAndCreateTeam } from "../tests/helpers";
import { startDemo } from "./demo";

test("billing: from the free trial to Pro through Checkout, and the billing portal", async ({ browser }) => {
  const demo = await startDemo(browser, "billing");
  const page = await demo.window("dashboard");
  await page.goto("/pricing");
  await expect(page.getByTestId("plans").getByRole("heading")).toHaveText(["Free trial", "Pro", "Team"]);
  await demo.caption(page, "Plans: a free trial to start, Pro and Team when the team grows");
  await page.getByRole("region", { name: "Pro" }).getByRole("button", { name: "Choose Pro" }).click();
  await expect(page).toHaveURL(/\/signup/);
  await demo.caption(page, "Choosing a plan as a visitor starts with an account");
  await signUpAndCreateTeam(page, "Bill Payer", "Summit Co", "demo-billing");

  await page.getByRole("link", { name: "Billing", exact: true }).click();
  await expect(page.getByTestId("billing-plan")).toHaveText("Free trial");
  await demo.caption(page, "A new team starts on the free trial, with its limits shown");
  await page.getByRole("button", { name: "Change plan" }).click();
  await expect(page).toHaveURL(/\/pricing$/);
  await demo.caption(page, "Upgrading: choose Pro");
  await page.getByRole("region", { name: "Pro" }).getByRole("button", { name: "Choose Pro" }).click();
  // Stripe Checkout (a local stand-in of Stripe's API and pages) takes the payment, signs the events to the webhook and redirects back.
  await expect(page).toHaveURL(/\/billing\?checkout=success$/);
  await expect(page.getByTestId("billing-plan")).toHaveText("Pro");
  await expect(page.getByTestId("billing-status")).toHaveText("active");
  await demo.caption(page, "Paid in Stripe Checkout: the signed webhook moved the team to Pro, active");

  await page.getByRole("button", { name: "Manage billing" }).click();
  await expect(page.getByRole("heading", { name: "Billing portal" })).toBeVisible();
  await demo.caption(page, "Invoices, cards and cancellation live in Stripe's billing portal");
  await page.getByRole("link", { name: "Return to AutoClaw" }).click();
  await expect(page.getByTestId("billing-plan")).toHaveText("Pro");
  await demo.caption(page, "Back in AutoClaw, on Pro");
  expect(await demo.finish()).toHaveLength(1);
});
