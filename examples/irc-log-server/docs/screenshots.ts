/**
 * The web viewer's screenshots in this folder, made in Debian's chromium-headless-shell:
 *
 * - `web-viewer.png` — 1280x800, dark theme;
 * - `web-viewer-phone.png` — 390x844, light theme.
 *
 * A server with the demo's traffic (a fixed seed and clock, so the pictures only change when
 * the page does): 24 lines before the page opens (its backlog, marked ⟲), 30 after. No fixed
 * delay anywhere: each page is shot once it says it is ready (`body[data-ready]`: connected,
 * backlog drawn) and its row count (`#log[data-rows]`) shows the live lines drawn.
 *
 * ```sh
 * npx tsx examples/irc-log-server/docs/screenshots.ts   # rewrites the two PNGs
 * ```
 *
 * `http/browser-layout.test.ts` runs the same function on every test run and writes the files
 * only with `UPDATE_SCREENSHOTS=1`, so a test run leaves the working tree clean.
 *
 * @module
 */
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Browser } from 'playwright-core';
import { DESKTOP, PHONE, launchChromium } from '../http/browser-harness.js';
import type { LogEntry } from '../logs/entry.js';
import { demoEntries } from '../logs/sources/demo.js';
import { startServer } from '../server.js';

/** One screenshot: where it goes and its bytes. */
export interface Screenshot {
  readonly file: string;
  readonly width: number;
  readonly height: number;
  readonly png: Buffer;
}

const BACKLOG = 24;
const LIVE = 30;
const SHOTS = [
  { name: 'web-viewer.png', viewport: DESKTOP, colorScheme: 'dark' },
  { name: 'web-viewer-phone.png', viewport: PHONE, colorScheme: 'light' },
] as const;

/**
 * Takes the screenshots; writes them into this folder when `write` is true.
 *
 * @returns the pictures, in {@link SHOTS} order.
 */
export async function takeScreenshots(browser: Browser, write: boolean): Promise<Screenshot[]> {
  const server = await startServer({ ircPort: 0, ingestPort: null, httpPort: 0, demo: false, history: BACKLOG });
  try {
    // 40 s before midnight in Berlin: the day changes among the lines on the desktop's screen.
    let clock = Date.UTC(2026, 10, 29, 22, 59, 20, 0);
    const demo = demoEntries(7, () => (clock += 1370));
    const next = (): LogEntry => demo.next().value as LogEntry;
    for (let i = 0; i < BACKLOG; i++) server.ingest(next());
    const pages = [];
    for (const shot of SHOTS) {
      const context = await browser.newContext({ viewport: shot.viewport, colorScheme: shot.colorScheme, timezoneId: 'Europe/Berlin' });
      const page = await context.newPage();
      await page.goto(`http://127.0.0.1:${server.httpPort!}/`);
      await page.waitForSelector('body[data-ready="true"]', { timeout: 15_000 });
      pages.push({ shot, page, context });
    }
    for (let i = 0; i < LIVE; i++) server.ingest(next());
    const taken: Screenshot[] = [];
    for (const { shot, page, context } of pages) {
      await page.waitForSelector(`#log[data-rows="${BACKLOG + LIVE}"]`, { timeout: 15_000 });
      await page.mouse.move(0, 0);
      const file = fileURLToPath(new URL(shot.name, import.meta.url));
      const png = await page.screenshot(write ? { path: file } : {});
      taken.push({ file, width: shot.viewport.width, height: shot.viewport.height, png });
      await context.close();
    }
    return taken;
  } finally {
    await server.close();
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const browser = await launchChromium();
  try {
    for (const shot of await takeScreenshots(browser, true)) console.log(`wrote ${shot.file} (${shot.width}x${shot.height}, ${shot.png.length} bytes)`);
  } finally {
    await browser.close();
  }
}
