import { expect, test } from "@playwright/test";
import { signUpAndCreateTeam, snap, uniqueEmail } from "./helpers";

test("a plain member uses the team's agents but sees no way to edit or delete them", async ({ browser }) => {
  // The teammate has an account of their own first (members are added by email).
  const mateContext = await browser.newContext();
  const mate = await mateContext.newPage();
  const mateEmail = uniqueEmail("mate");
  await mate.goto("/signup");
  await mate.getByLabel("Name").fill("Milo Member");
  await mate.getByLabel("Work email").fill(mateEmail);
  await mate.getByLabel("Password").fill("a strong local password");
  await mate.getByRole("button", { name: "Create account" }).click();
  await expect(mate.getByLabel("Team name")).toBeVisible();

  // The owner makes a team and an agent, and adds the teammate as a member.
  const ownerContext = await browser.newContext();
  const owner = await ownerContext.newPage();
  await owner.goto("/signup");
  await signUpAndCreateTeam(owner, "Olga Owner", "Access Crew", "owner");
  await owner.getByRole("link", { name: "Agents", exact: true }).click();
  await owner.getByRole("button", { name: "Use template Research analyst" }).click();
  await owner.getByLabel("Name").fill("Scout");
  await owner.getByRole("button", { name: "Create agent" }).click();
  await expect(owner.getByRole("heading", { name: "Scout" })).toBeVisible();
  await expect(owner.getByRole("button", { name: "Delete" })).toBeVisible();
  const agentUrl = owner.url();
  await owner.getByRole("link", { name: "Dashboard", exact: true }).click();
  await owner.getByPlaceholder("name@company.com").fill(mateEmail);
  await owner.getByRole("button", { name: "Add", exact: true }).click();
  await expect(owner.getByTestId("members")).toContainText("Milo Member");

  // The member: the team's agent is there to use, with no Edit, Delete or new agents.
  await mate.goto("/dashboard");
  await expect(mate.getByTestId("team-name")).toHaveText("Access Crew");
  await mate.goto(agentUrl);
  await expect(mate.getByRole("heading", { name: "Scout" })).toBeVisible();
  await expect(mate.getByLabel("Ask Scout")).toBeVisible();
  await expect(mate.getByRole("button", { name: "Delete" })).toHaveCount(0);
  await expect(mate.getByRole("button", { name: "Edit" })).toHaveCount(0);
  await snap(mate, "60-member-agent");
  await mate.getByRole("link", { name: "Agents", exact: true }).click();
  await expect(mate.getByTestId("templates").getByRole("heading")).toHaveCount(4);
  await expect(mate.getByRole("button", { name: /Use template/ })).toHaveCount(0);
  await mateContext.close();
  await ownerContext.close();
});
