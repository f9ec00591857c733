import { existsSync, mkdirSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { expect, type Page } from "@playwright/test";

const OUTPUT = path.resolve(import.meta.dirname, "..", "output");
mkdirSync(OUTPUT, { recursive: true });

/** Full-page screenshots kept under e2e/output/ (git-ignored) so a person can look at every page. */
export async function snap(page: Page, name: string) {
  await page.waitForLoadState("networkidle");
  await page.screenshot({ path: path.join(OUTPUT, `${name}.png`), fullPage: true });
}

export const uniqueEmail = (label: string) => `${label}-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}@example.com`;

/** Fills the sign-up form (the page must be on /signup) and creates the first team. */
export async function signUpAndCreateTeam(page: Page, name: string, team: string, label: string) {
  await page.getByLabel("Name").fill(name);
  await page.getByLabel("Work email").fill(uniqueEmail(label));
  await page.getByLabel("Password").fill("a strong local password");
  await page.getByRole("button", { name: "Create account" }).click();
  await page.getByLabel("Team name").fill(team);
  await page.getByRole("button", { name: "Create team" }).click();
  await expect(page.getByTestId("team-name")).toHaveText(team);
}

/**
 * The newest message to `email` in the run command's local outbox whose subject matches, waiting for
 * it to arrive: the link a person would click in their inbox.
 */
export async function mailLink(email: string, subject: RegExp): Promise<string> {
  const dir = path.join(process.env.E2E_STATE_DIR!, "mail");
  let link: string | undefined;
  await expect
    .poll(
      () => {
        const messages = existsSync(dir)
          ? readdirSync(dir)
              .sort()
              .map((f) => JSON.parse(readFileSync(path.join(dir, f), "utf8")) as { to: string[]; subject: string; links: string[] })
          : [];
        link = messages.findLast((m) => m.to.includes(email.toLowerCase()) && subject.test(m.subject))?.links[0];
        return link;
      },
      { message: `mail to ${email} matching ${subject}` },
    )
    .toBeTruthy();
  return link!;
}
