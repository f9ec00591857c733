// Demo 4: an owner invites a teammate, who joins and works with the team's agent.
import { expect, test } from "@playwright/test";
import { customKeyAndAgent, mailLink, signUpAndCreateTeam, uniqueEmail, withFakeModel } from "../tests/helpers";
import { startDemo } from "./demo";

const model = withFakeModel();

test("teammate: invited by email, joins, runs the team's agent; the owner sees the run", async ({ browser }) => {
  const demo = await startDemo(browser, "teammate");
  const owner = await demo.window("owner");
  await owner.goto("/signup");
  await signUpAndCreateTeam(owner, "Olga Owner", "Atlas Team", "demo-owner");
  await customKeyAndAgent(owner, { baseUrl: model.url(), apiKey: "sk-demo-team-9902", agent: "Atlas", model: "custom/echo" });
  const agentUrl = owner.url();
  await owner.getByRole("link", { name: "Dashboard", exact: true }).click();
  await demo.caption(owner, "Olga owns Atlas Team and its agent. She invites a teammate by email");
  const mateEmail = uniqueEmail("demo-mate");
  await owner.getByPlaceholder("name@company.com").fill(mateEmail);
  await owner.getByRole("button", { name: "Invite", exact: true }).click();
  await expect(owner.getByTestId("pending-invitations")).toContainText(mateEmail);
  await demo.caption(owner, "The invitation is pending until Milo accepts it");

  const mate = await demo.window("teammate");
  await mate.goto(await mailLink(mateEmail, /invited you to Atlas Team/));
  await demo.caption(mate, "Milo follows the link in the invitation mail and creates an account");
  await mate.getByRole("link", { name: "Create an account" }).click();
  await mate.getByLabel("Name").fill("Milo Member");
  await mate.getByLabel("Work email").fill(mateEmail);
  await mate.getByLabel("Password").fill("a strong local password");
  await mate.getByRole("button", { name: "Create account" }).click();
  await expect(mate.getByTestId("verify-banner")).toContainText(mateEmail);
  await demo.caption(mate, "First he verifies his address: an invitation only joins a verified account");
  await mate.goto(await mailLink(mateEmail, /Verify your email/));
  await expect(mate.getByTestId("my-invitations")).toContainText("Atlas Team");
  await mate.getByRole("button", { name: "Join Atlas Team" }).click();
  await expect(mate.getByTestId("team-name")).toHaveText("Atlas Team");
  await demo.caption(mate, "Milo is in Atlas Team, as a member");

  await mate.goto(agentUrl);
  await expect(mate.getByRole("heading", { name: "Atlas" })).toBeVisible();
  await expect(mate.getByRole("button", { name: "Delete" })).toHaveCount(0);
  await demo.caption(mate, "Members use the team's agents; only admins change or delete them");
  await mate.getByLabel("Ask Atlas").fill("Draft the agenda for Monday's planning");
  await mate.getByRole("button", { name: "Start run" }).click();
  await expect(mate.getByTestId("run-status")).toHaveText("succeeded", { timeout: 180_000 });
  await demo.caption(mate, "Milo's run, on the team's runtime and the team's model key");

  await owner.reload();
  await expect(owner.getByTestId("members")).toContainText("Milo Member");
  await owner.getByRole("link", { name: "Runs", exact: true }).click();
  await expect(owner.getByTestId("runs")).toContainText("Draft the agenda for Monday's planning");
  await demo.caption(owner, "Olga sees her new member and his run: one team, one history");
  expect(await demo.finish()).toHaveLength(2);
});
