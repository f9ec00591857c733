import { existsSync, mkdirSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { expect, type Page, test } from "@playwright/test";
import { startFakeModel, type FakeModel } from "../../fakes/openai";

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
 * A team on a custom OpenAI-compatible model server (the fake) with one Personal assistant agent on
 * `model`, set up through the pages as a person would. The key's last 4 characters are checked as shown.
 */
export async function customKeyAndAgent(
  page: Page,
  opts: { baseUrl: string; apiKey: string; agent: string; model: string; template?: string },
) {
  await page.getByRole("link", { name: "Model keys", exact: true }).click();
  const custom = page.locator('[data-provider="custom"]');
  await custom.getByRole("button", { name: "Add key" }).click();
  await page.getByLabel("Base URL").fill(opts.baseUrl);
  await page.getByLabel("API key").fill(opts.apiKey);
  await page.getByRole("button", { name: "Save key" }).click();
  await expect(custom).toContainText(`••••${opts.apiKey.slice(-4)}`);
  await page.getByRole("link", { name: "Agents", exact: true }).click();
  await page.getByRole("button", { name: `Use template ${opts.template ?? "Personal assistant"}` }).click();
  await page.getByLabel("Name").fill(opts.agent);
  await page.getByLabel("Model").fill(opts.model);
  await page.getByRole("button", { name: "Create agent" }).click();
  await expect(page.getByRole("heading", { name: opts.agent })).toBeVisible();
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

/** The local OpenAI-compatible model for this file's tests: started before them, closed after. */
export function withFakeModel(): { url: () => string; requests: () => FakeModel["requests"] } {
  let fake: FakeModel | undefined;
  test.beforeAll(async () => {
    fake = await startFakeModel();
  });
  test.afterAll(async () => fake?.close());
  return { url: () => `${fake!.url}/v1`, requests: () => fake!.requests };
}
