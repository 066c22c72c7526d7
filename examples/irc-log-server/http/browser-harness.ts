/**
 * What the web viewer's browser tests share: Debian's chromium-headless-shell driven by
 * playwright-core (`apt-get install chromium-headless-shell`; the npm browser download is not
 * used), one browser per test file, pages reused between tests, servers closed after each.
 *
 * Without the binary the tests are skipped with a message, unless CI=true, where a missing
 * browser fails.
 *
 * @module
 */
import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import { chromium, type Browser, type BrowserContextOptions, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { startServer, type RunningServer } from '../server.js';

/** Where Debian puts the headless shell. */
export const CHROMIUM = '/usr/bin/chromium-headless-shell';
/** The two widths every layout test runs at. */
export const PHONE = { width: 390, height: 844 } as const;
export const DESKTOP = { width: 1280, height: 800 } as const;

const present = existsSync(CHROMIUM);
const mustRun = process.env.CI === 'true';

/** True when the tests of a file must be skipped (no browser, and not CI). */
export function skipBrowserTests(file: string): boolean {
  if (present || mustRun) return false;
  console.warn(`${file} skipped: ${CHROMIUM} is missing (apt-get install -y chromium-headless-shell); with CI=true this fails instead`);
  return true;
}

/** Launches the headless shell with the flags a container needs. */
export async function launchChromium(): Promise<Browser> {
  if (!present) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium-headless-shell (CI=true requires it)`);
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-dev-shm-usage'],
    timeout: 15_000,
  });
}

/** A page of the harness: the options its context was made with. */
export interface ViewerPageOptions extends BrowserContextOptions {
  /** A fresh context instead of the reused one with the same options. @default false */
  fresh?: boolean;
}

/** The browser, servers and pages of one test file. */
export interface BrowserHarness {
  readonly browser: Browser;
  /** A server with the web viewer, IRC and ingest on free ports, no demo; closed after the test. */
  server(overrides?: Parameters<typeof startServer>[0]): Promise<RunningServer>;
  /** The viewer at `path` on `s`, in a page reused by every test with the same options (navigated again). */
  open(s: RunningServer, path?: string, options?: ViewerPageOptions): Promise<Page>;
  /** Runs `fn` after the current test (servers first opened are closed last). */
  defer(fn: () => Promise<unknown> | void): void;
}

/**
 * Registers the hooks of a browser test file and returns its harness: one browser for the
 * file, pages kept between tests (keyed by their context options), servers closed after each
 * test.
 */
export function useBrowser(): BrowserHarness {
  let browser: Browser | undefined;
  const pages = new Map<string, Page>();
  const cleanups: (() => Promise<unknown> | void)[] = [];
  // An exception in the page fails the test that caused it.
  const pageErrors: string[] = [];
  beforeAll(async () => {
    browser = await launchChromium();
  }, 20_000);
  afterAll(async () => {
    await browser?.close();
  });
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    if (pageErrors.length > 0) throw new Error(`the page threw: ${pageErrors.splice(0).join('; ')}`);
  });
  const harness: BrowserHarness = {
    get browser(): Browser {
      if (browser === undefined) throw new Error('the browser is not launched (beforeAll failed)');
      return browser;
    },
    async server(overrides = {}) {
      const s = await startServer({ ircPort: 0, ingestPort: 0, httpPort: 0, demo: false, ...overrides });
      cleanups.push(() => s.close());
      return s;
    },
    async open(s, path = '/', options = {}) {
      const { fresh = false, ...contextOptions } = options;
      const settings: BrowserContextOptions = { viewport: DESKTOP, timezoneId: 'UTC', colorScheme: 'dark', ...contextOptions };
      const key = JSON.stringify(settings);
      let page = fresh ? undefined : pages.get(key);
      if (page === undefined || page.isClosed()) {
        const context = await harness.browser.newContext(settings);
        page = await context.newPage();
        page.on('pageerror', (error) => pageErrors.push(error.message));
        if (fresh) cleanups.push(() => context.close());
        else pages.set(key, page);
      }
      await page.goto(`http://127.0.0.1:${s.httpPort!}${path}`);
      return page;
    },
    defer(fn) {
      cleanups.push(fn);
    },
  };
  return harness;
}

/** Waits until the page says it is live. */
export async function live(page: Page): Promise<void> {
  await page.waitForSelector('#state[data-state="live"]', { timeout: 10_000 });
}

/** Waits for the page's readiness signal: connected, and the backlog on screen. */
export async function ready(page: Page): Promise<void> {
  await page.waitForSelector('body[data-ready="true"]', { timeout: 10_000 });
}

/** Sends entries through the JSON Lines ingest port, in order, and waits until the server has them. */
export function ingest(s: RunningServer, entries: readonly object[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port: s.ingestPort!, host: '127.0.0.1' }, () => {
      socket.end(entries.map((e) => `${JSON.stringify(e)}\n`).join(''));
    });
    socket.on('error', reject);
    socket.on('close', () => resolve());
  });
}

/** One row as shown. */
export interface ShownRow {
  level: string;
  time: string;
  src: string;
  msg: string;
  hidden: boolean;
  backlog: boolean;
}

/** Every entry row on screen, hidden ones included. */
export function shownRows(page: Page): Promise<ShownRow[]> {
  return page.$$eval('#log .line', (lines) =>
    lines.map((line) => ({
      level: line.querySelector('.lvl')?.textContent ?? '',
      time: line.querySelector('.time')?.textContent ?? '',
      src: line.querySelector('.src')?.textContent ?? '',
      msg: line.querySelector('.msg')?.textContent ?? '',
      hidden: line.classList.contains('hidden'),
      backlog: line.classList.contains('backlog'),
    })),
  );
}

/** The messages of the rows a reader sees (not hidden by a level toggle or the search). */
export async function visibleMessages(page: Page): Promise<string[]> {
  return (await shownRows(page)).filter((r) => !r.hidden).map((r) => r.msg);
}

/** The text of the markers of a kind (`gap`, `note`, `day`, `live-mark`). */
export function markers(page: Page, kind: string): Promise<string[]> {
  return page.$$eval(`#log .${kind}`, (nodes) => nodes.map((n) => n.textContent ?? ''));
}
