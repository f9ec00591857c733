import { expect, test } from "./fixtures";
import { mailLink, signUpAndCreateTeam, snap, uniqueEmail } from "./helpers";

test("an invited teammate verifies their email from the outbox, accepts, and as a member sees no Edit or Delete", async ({ browser }) => {
  // The owner makes a team and an agent, and invites a teammate who has no account yet.
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
  const mateEmail = uniqueEmail("mate");
  await owner.getByPlaceholder("name@company.com").fill(mateEmail);
  await owner.getByRole("button", { name: "Invite", exact: true }).click();
  await expect(owner.getByTestId("pending-invitations")).toContainText(mateEmail);
  await snap(owner, "58-invited");

  // The teammate follows the invitation mail's link, signs up from there and is asked to verify.
  const mateContext = await browser.newContext();
  const mate = await mateContext.newPage();
  await mate.goto(await mailLink(mateEmail, /invited you to Access Crew/));
  await expect(mate).toHaveURL(/\/login\?next=%2Finvitations/);
  await mate.getByRole("link", { name: "Create an account" }).click();
  await mate.getByLabel("Name").fill("Milo Member");
  await mate.getByLabel("Work email").fill(mateEmail);
  await mate.getByLabel("Password").fill("a strong local password");
  await mate.getByRole("button", { name: "Create account" }).click();
  await expect(mate.getByRole("heading", { name: "Your invitations" })).toBeVisible();
  await expect(mate.getByTestId("verify-banner")).toContainText(mateEmail);
  await expect(mate.getByTestId("my-invitations")).toHaveCount(0);
  await snap(mate, "59-verify-first");

  // The verification link lands them back, signed in and verified; the invitation is there to accept.
  await mate.goto(await mailLink(mateEmail, /Verify your email/));
  await expect(mate).toHaveURL(/\/invitations$/);
  await expect(mate.getByTestId("verify-banner")).toHaveCount(0);
  await expect(mate.getByTestId("my-invitations")).toContainText("Access Crew");
  await mate.getByRole("button", { name: "Join Access Crew" }).click();
  await expect(mate.getByTestId("team-name")).toHaveText("Access Crew");
  await owner.reload();
  await expect(owner.getByTestId("members")).toContainText("Milo Member");
  await expect(owner.getByTestId("pending-invitations")).toHaveCount(0);

  // The member: the team's agent is there to use, with no Edit, Delete or new agents.
  await mate.goto(agentUrl);
  await expect(mate.getByRole("heading", { name: "Scout" })).toBeVisible();
  await expect(mate.getByLabel("Ask Scout")).toBeVisible();
  await expect(mate.getByRole("button", { name: "Delete" })).toHaveCount(0);
  await expect(mate.getByRole("button", { name: "Edit" })).toHaveCount(0);
  await snap(mate, "60-member-agent");
  await mate.getByRole("link", { name: "Agents", exact: true }).click();
  await expect(mate.getByTestId("templates").getByRole("heading")).toHaveCount(4);
  await expect(mate.getByRole("button", { name: /Use template/ })).toHaveCount(0);
  // The audit log is the owners' and admins': no link to it, and its page says so.
  await expect(mate.getByRole("link", { name: "Audit log" })).toHaveCount(0);
  await mate.goto("/audit");
  await expect(mate.getByText("Only owners and admins can read the audit log")).toBeVisible();
  // The owner's log has the member joining, by the member.
  await owner.goto("/audit");
  await expect(owner.getByTestId("audit-entries").locator('tr[data-action="member.joined"]')).toContainText("Joined the team");
  await mateContext.close();
  await ownerContext.close();
});
