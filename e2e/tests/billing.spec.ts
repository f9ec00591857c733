import { expect, test } from "./fixtures";
import { signUpAndCreateTeam, snap } from "./helpers";

test("a new team is on the free trial; it chooses Pro on /pricing, pays in Checkout and /billing shows Pro, active", async ({ page }) => {
  // Public pricing first, as a visitor.
  await page.goto("/pricing");
  await expect(page.getByTestId("plans").getByRole("heading")).toHaveText(["Free trial", "Pro", "Team"]);
  await snap(page, "50-pricing-public");
  await page.getByRole("region", { name: "Pro" }).getByRole("button", { name: "Choose Pro" }).click();
  await expect(page).toHaveURL(/\/signup/);

  await signUpAndCreateTeam(page, "Bill Payer", "Paying Crew", "billing");

  await page.getByRole("link", { name: "Billing", exact: true }).click();
  await expect(page.getByTestId("billing-plan")).toHaveText("Free trial");
  await expect(page.getByTestId("billing-status")).toHaveText("trialing");
  await snap(page, "51-billing-trial");

  await page.getByRole("button", { name: "Change plan" }).click();
  await expect(page).toHaveURL(/\/pricing$/);
  await expect(page.getByRole("region", { name: "Free trial" }).getByRole("button")).toHaveText("Your plan");
  // Stripe Checkout (the fake) takes the payment, tells AutoClaw's webhook, and sends the browser back.
  await page.getByRole("region", { name: "Pro" }).getByRole("button", { name: "Choose Pro" }).click();
  await expect(page).toHaveURL(/\/billing\?checkout=success$/);
  await expect(page.getByTestId("billing-plan")).toHaveText("Pro");
  await expect(page.getByTestId("billing-status")).toHaveText("active");
  await snap(page, "52-billing-pro");

  await page.getByRole("button", { name: "Manage billing" }).click();
  await expect(page.getByRole("heading", { name: "Billing portal" })).toBeVisible();
  await page.getByRole("link", { name: "Return to AutoClaw" }).click();
  await expect(page.getByTestId("billing-plan")).toHaveText("Pro");
});
