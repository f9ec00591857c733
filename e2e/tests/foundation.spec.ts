import { expect, test } from "./fixtures";
import { snap, uniqueEmail } from "./helpers";

test("a new user signs up, creates a team, makes an API key, signs out and back in", async ({ page, request, baseURL }) => {
  const email = uniqueEmail("founder");
  const password = "a strong local password";

  // Anonymous visitors land on the sign-in page.
  await page.goto("/dashboard");
  await expect(page).toHaveURL(/\/login/);
  await expect(page.getByRole("heading", { name: "Welcome back" })).toBeVisible();
  await snap(page, "01-login");

  await page.getByRole("link", { name: "Create an account" }).click();
  await expect(page.getByRole("heading", { name: "Create your account" })).toBeVisible();
  // Bad input is explained before anything is sent.
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page.getByText("Your name is required")).toBeVisible();
  await snap(page, "02-signup-errors");
  await page.getByLabel("Name").fill("Frida Founder");
  await page.getByLabel("Work email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Create account" }).click();

  // First team.
  await expect(page.getByRole("heading", { name: "Create your team" })).toBeVisible();
  await snap(page, "03-create-team");
  await page.getByLabel("Team name").fill("Lobster Labs");
  await page.getByRole("button", { name: "Create team" }).click();
  await expect(page).toHaveURL(/\/dashboard/);
  await expect(page.getByTestId("team-name")).toHaveText("Lobster Labs");
  await expect(page.getByTestId("members")).toContainText(email);
  await expect(page.getByTestId("members")).toContainText("owner");
  await snap(page, "04-dashboard");

  // A second team, then switch back through the team switcher.
  await page.getByRole("button", { name: "Switch team" }).click();
  await page.getByRole("menuitem", { name: "+ Create a team" }).click();
  await page.getByLabel("Team name").fill("Side Project");
  await page.getByRole("button", { name: "Create team" }).click();
  await expect(page.getByTestId("team-name")).toHaveText("Side Project");
  await page.getByRole("button", { name: "Switch team" }).click();
  await snap(page, "05-team-switcher");
  await page.getByRole("menuitem", { name: "Lobster Labs" }).click();
  await expect(page.getByTestId("team-name")).toHaveText("Lobster Labs");

  // API keys: empty state, create (shown once), use it, revoke it.
  await page.getByRole("link", { name: "API keys", exact: true }).click();
  await expect(page.getByText("No API keys yet")).toBeVisible();
  await snap(page, "06-api-keys-empty");
  await page.getByRole("button", { name: "New API key" }).click();
  await page.getByLabel("Name").fill("CRM sync");
  // Scopes: what an integrator needs to run agents is ticked; managing agents is a choice.
  await expect(page.getByLabel("Start and cancel runs")).toBeChecked();
  await expect(page.getByLabel("Create, edit and delete agents")).not.toBeChecked();
  await snap(page, "06b-api-key-new");
  await page.getByRole("button", { name: "Create key" }).click();
  const keyText = page.getByTestId("new-api-key");
  await expect(keyText).toHaveText(/^ak_/);
  const key = (await keyText.textContent())!.trim();
  await snap(page, "07-api-key-created");
  await page.getByRole("button", { name: "Done" }).click();
  const row = page.getByTestId("api-keys").getByRole("row", { name: /CRM sync/ });
  await expect(row).toContainText(key.slice(0, 11));
  await expect(page.getByTestId("api-keys")).not.toContainText(key);

  // The key works for an integrator, and acts in the team it was made in.
  const listed = await request.get(`${baseURL}/trpc/tenants.list`, { headers: { authorization: `Bearer ${key}` } });
  expect(listed.status()).toBe(200);
  expect((await listed.json()).result.data).toEqual([expect.objectContaining({ name: "Lobster Labs", role: "admin" })]);
  await page.reload();
  await expect(row).toContainText("Just now");
  await snap(page, "08-api-keys-list");

  await row.getByRole("button", { name: "Revoke" }).click();
  await expect(page.getByRole("dialog", { name: "Revoke API key?" })).toBeVisible();
  await snap(page, "09-api-key-revoke");
  await page.getByRole("button", { name: "Revoke key" }).click();
  await expect(page.getByText("No API keys yet")).toBeVisible();
  const revoked = await request.get(`${baseURL}/trpc/tenants.list`, { headers: { authorization: `Bearer ${key}` } });
  expect(revoked.status()).toBe(401);

  // Sign out, then back in.
  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/login/);
  await page.goto("/dashboard");
  await expect(page).toHaveURL(/\/login/);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill("wrong password");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByText(/invalid email or password/i)).toBeVisible();
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/dashboard/);
  await expect(page.getByTestId("current-team")).toBeVisible();
  await snap(page, "10-signed-in-again");
});
