/**
 * Debian's Chromium driven by playwright-core (never a downloaded browser): pages that collect
 * what a dashboard test must see none of — console errors, uncaught exceptions, dialogs — and a
 * directory for the screenshots a run leaves as its artefacts.
 * @module
 */
import { type Browser, chromium, type Page } from "playwright-core";
import { requireService } from "./services.ts";

/** Where Debian installs Chromium (.ci/run installs the `chromium` package). */
export const CHROMIUM = "/usr/bin/chromium";

/** Whether Chromium is installed: false skips the test, but throws under CI. */
export function requireChromium(): Promise<boolean> {
  return requireService(`Chromium at ${CHROMIUM}`, () => Deno.stat(CHROMIUM));
}

/** Launches headless Chromium. */
export async function launchChromium(): Promise<Browser> {
  return await chromium.launch({
    executablePath: CHROMIUM,
    args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
  });
}

/** A page and what went wrong on it. */
export interface WatchedPage {
  readonly page: Page;
  /** Console errors (CSP violations among them) and uncaught exceptions. */
  readonly errors: string[];
  /** Messages of dialogs that opened (alert, confirm, prompt): each one dismissed. */
  readonly dialogs: string[];
  /** Every URL the page requested. */
  readonly requests: string[];
}

/** Opens a page in a fresh context of `viewport` size, watching errors, dialogs and requests. */
export async function watchedPage(
  browser: Browser,
  viewport = { width: 1280, height: 800 },
): Promise<WatchedPage> {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  const w: WatchedPage = { page, errors: [], dialogs: [], requests: [] };
  page.on("console", (m) => {
    if (m.type() === "error") w.errors.push(m.text());
  });
  page.on("pageerror", (e) => w.errors.push(`uncaught: ${e.message}`));
  page.on("dialog", (d) => {
    w.dialogs.push(d.message());
    void d.dismiss().catch(() => {});
  });
  page.on("request", (r) => w.requests.push(r.url()));
  return w;
}

/** A fresh directory for screenshots; its path is logged so a CI run can keep it. */
export async function screenshotDir(prefix: string): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: `${prefix}-` });
  // deno-lint-ignore no-console
  console.log(`screenshots: ${dir}`);
  return dir;
}
