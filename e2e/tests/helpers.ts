import { mkdirSync } from "node:fs";
import path from "node:path";
import type { Page } from "@playwright/test";

const OUTPUT = path.resolve(import.meta.dirname, "..", "output");
mkdirSync(OUTPUT, { recursive: true });

/** Full-page screenshots kept under e2e/output/ (git-ignored) so a person can look at every page. */
export async function snap(page: Page, name: string) {
  await page.waitForLoadState("networkidle");
  await page.screenshot({ path: path.join(OUTPUT, `${name}.png`), fullPage: true });
}

export const uniqueEmail = (label: string) => `${label}-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}@example.com`;
