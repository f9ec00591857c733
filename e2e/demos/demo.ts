// What every demo does: record each browser window as a video, say on screen what is happening, and keep a
// screenshot of every step — all under e2e/demos/output/<demo>/ (git-ignored). The demos are also checks: each
// step still asserts what a person would see, so a demo that no longer tells the truth fails.
import { mkdirSync, rmSync } from "node:fs";
import path from "node:path";
import type { Browser, BrowserContext, Page } from "@playwright/test";

export const DEMO_OUTPUT = path.resolve(import.meta.dirname, "output");
/** How long each caption stays up before the next action, so a viewer can read it. */
const PACE_MS = Number(process.env.DEMO_PACE_MS ?? 1200);
const SIZE = { width: 1280, height: 800 };

export interface Demo {
  /** A new browser window (its own cookies), recorded as `<label>.webm`. */
  window(label: string): Promise<Page>;
  /** Shows `text` over the page, waits so it can be read, and keeps a screenshot of the moment. */
  caption(page: Page, text: string): Promise<void>;
  /** Closes every window and saves the videos; returns their paths. */
  finish(): Promise<string[]>;
}

export async function startDemo(browser: Browser, name: string): Promise<Demo> {
  const dir = path.join(DEMO_OUTPUT, name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const windows: { label: string; context: BrowserContext; page: Page }[] = [];
  const captions = new WeakMap<Page, string>();
  let step = 0;

  const show = (page: Page, text: string) =>
    page.evaluate((t) => {
      let el = document.getElementById("__demo_caption");
      if (!el) {
        el = document.createElement("div");
        el.id = "__demo_caption";
        el.setAttribute("aria-hidden", "true");
        // A popover lives in the top layer, so the caption can sit above the page's own modal dialogs.
        el.popover = "manual";
        el.style.cssText =
          "position:fixed;inset:auto;margin:0;border:0;left:50%;bottom:24px;transform:translateX(-50%);max-width:80%;pointer-events:none;" +
          "background:rgba(17,24,39,.92);color:#fff;font:600 20px/1.35 system-ui,sans-serif;padding:12px 20px;border-radius:10px;" +
          "box-shadow:0 6px 24px rgba(0,0,0,.3);text-align:center";
        document.body.appendChild(el);
      }
      el.textContent = t;
      // Shown again each time: the last element into the top layer is drawn above the others (a dialog opened since).
      if (el.matches(":popover-open")) el.hidePopover();
      el.showPopover();
    }, text);

  return {
    async window(label) {
      const octet = () => 1 + Math.floor(Math.random() * 254);
      // Its own client address, as fixtures.ts explains: sign-up is rate-limited per address.
      const context = await browser.newContext({
        recordVideo: { dir: path.join(dir, ".raw"), size: SIZE },
        viewport: SIZE,
        extraHTTPHeaders: { "cf-connecting-ip": `198.18.${octet()}.${octet()}` },
      });
      const page = await context.newPage();
      // A full page load drops the overlay: put the current caption back.
      page.on("load", () => {
        const text = captions.get(page);
        if (text) show(page, text).catch(() => {});
      });
      windows.push({ label, context, page });
      return page;
    },
    async caption(page, text) {
      captions.set(page, text);
      await page.waitForLoadState("domcontentloaded");
      await show(page, text);
      await page.waitForTimeout(PACE_MS);
      step += 1;
      const slug = text
        .toLowerCase()
        .replace(/[^a-z0-9]+/g, "-")
        .replace(/^-|-$/g, "")
        .slice(0, 50);
      await page.screenshot({ path: path.join(dir, `${String(step).padStart(2, "0")}-${slug}.png`) });
    },
    async finish() {
      const videos: string[] = [];
      for (const w of windows) {
        const video = w.page.video();
        await w.context.close();
        if (video) {
          const file = path.join(dir, `${w.label}.webm`);
          await video.saveAs(file);
          videos.push(file);
        }
      }
      rmSync(path.join(dir, ".raw"), { recursive: true, force: true });
      return videos;
    },
  };
}
