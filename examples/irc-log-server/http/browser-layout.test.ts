/**
 * The web viewer's layout in a real Chromium (browser-harness.ts) at a phone's width (390x844)
 * and a desktop's (1280x800): lines on screen, one row per entry with long text wrapping in the
 * message column, nothing wider than the screen; the light and dark themes; and the README's
 * screenshots (docs/screenshots.ts), rendered on every run and written only with
 * UPDATE_SCREENSHOTS=1, so a test run leaves the working tree clean.
 */
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { takeScreenshots } from '../docs/screenshots.js';
import { DESKTOP, PHONE, ingest, ready, shownRows, skipBrowserTests, useBrowser } from './browser-harness.js';

const browser = useBrowser();

interface RowBox {
  msg: string;
  height: number;
  lineHeight: number;
  timeHeight: number;
  levelHeight: number;
  rowRight: number;
  msgRight: number;
  msgLeft: number;
  top: number;
  bottom: number;
}

function rowBoxes(page: Page): Promise<RowBox[]> {
  return page.$$eval('#log .line', (lines) =>
    lines.map((line) => {
      const msg = line.querySelector('.msg');
      const row = line.getBoundingClientRect();
      const text = msg.getBoundingClientRect();
      return {
        msg: msg.textContent,
        height: row.height,
        lineHeight: Number.parseFloat(getComputedStyle(msg).lineHeight),
        timeHeight: line.querySelector('.time').getBoundingClientRect().height,
        levelHeight: line.querySelector('.lvl').getBoundingClientRect().height,
        rowRight: row.right,
        msgRight: text.right,
        msgLeft: text.left,
        top: row.top,
        bottom: row.bottom,
      };
    }),
  );
}

// These run in the page (the project's tsconfig has no DOM lib).
declare const getComputedStyle: (element: unknown) => { lineHeight: string; color: string; backgroundColor: string };

/** Widths that would mean sideways scrolling: the document, the log, the header. */
function widths(page: Page): Promise<{ name: string; scroll: number; client: number }[]> {
  return page.evaluate(`(() => ['html', 'body', 'header', '#log'].map((name) => {
    const el = document.querySelector(name);
    return { name, scroll: el.scrollWidth, client: el.clientWidth };
  }))()`);
}

const LONG_WORDS = `${'a reasonably long message that has to wrap inside the message column '.repeat(6)}end`;
const LONG_TOKEN = `token=${'x9'.repeat(200)}`;

describe.skipIf(skipBrowserTests('browser-layout.test.ts'))('the web viewer layout in Chromium', () => {
  describe.each([
    ['phone', PHONE],
    ['desktop', DESKTOP],
  ] as const)('at %s width', (name, viewport) => {
    it('shows the lines, one row per entry, long text wrapped in the message column, nothing wider than the screen', async () => {
      const s = await browser.server();
      // History first (drawn as backlog, ⟲), then live lines, the longest level names among them.
      await ingest(s, [1, 2, 3].map((n) => ({ level: 'info', service: 'api', message: `old ${n}` })));
      const page = await browser.open(s, '/', { viewport });
      await ready(page);
      await ingest(s, [
        { level: 'critical', service: 'db', message: 'short 1' },
        { level: 'fatal', service: 'db', message: 'short 2' },
        { level: 'notice', service: 'api', message: 'short 3' },
        { level: 'error', service: 'api', message: LONG_WORDS },
        { level: 'warning', service: 'api', message: LONG_TOKEN },
        { level: 'info', service: 's'.repeat(64), category: 'C'.repeat(64), message: 'long names' },
        { level: 'debug', service: 'api', message: 'short 4' },
      ]);
      await expect.poll(async () => (await shownRows(page)).length).toBe(10);
      const boxes = await rowBoxes(page);
      const short = boxes.filter((b) => /^(old|short) \d$/.test(b.msg));
      expect(short).toHaveLength(7);
      for (const b of short) {
        // One text line, plus the row's 2px of padding: the ⟲ of a backlog row takes no line of its own.
        expect(b.height, `${name}: "${b.msg}"`).toBeLessThanOrEqual(b.lineHeight + 3);
      }
      for (const b of boxes) {
        expect(b.timeHeight, `${name}: time of "${b.msg.slice(0, 20)}"`).toBeLessThanOrEqual(b.lineHeight + 1);
        expect(b.levelHeight, `${name}: level of "${b.msg.slice(0, 20)}"`).toBeLessThanOrEqual(b.lineHeight + 1);
        expect(b.msgRight, `${name}: right edge of "${b.msg.slice(0, 20)}"`).toBeLessThanOrEqual(b.rowRight);
      }
      for (const long of [LONG_WORDS, LONG_TOKEN]) {
        const b = boxes.find((x) => x.msg === long)!;
        expect(b.height, `${name}: ${long.slice(0, 10)} wraps`).toBeGreaterThan(2 * b.lineHeight);
      }
      if (name === 'desktop') {
        // The message column starts at the same place in every row.
        expect(new Set(boxes.map((b) => Math.round(b.msgLeft))).size).toBe(1);
      }
      for (const w of await widths(page)) expect(w.scroll, `${name}: ${w.name} scrollWidth`).toBeLessThanOrEqual(w.client);

      // The lines are on screen, below the header, and the log takes most of the height.
      const header = await page.$eval('header', (h) => h.getBoundingClientRect().bottom);
      const last = boxes.at(-1)!;
      expect(last.top).toBeGreaterThanOrEqual(header);
      expect(last.bottom).toBeLessThanOrEqual(viewport.height);
      expect(await page.$eval('#log', (log) => log.clientHeight)).toBeGreaterThan(viewport.height * 0.6);
      // Every control is on screen.
      const controls = await page.$$eval('header input:not([type="checkbox"]), header select, header button, #levels label', (els) =>
        els.map((el) => ({ id: el.id || el.textContent, right: el.getBoundingClientRect().right, width: el.getBoundingClientRect().width })),
      );
      for (const c of controls) {
        expect(c.right, `${name}: ${c.id}`).toBeLessThanOrEqual(viewport.width);
        expect(c.width, `${name}: ${c.id}`).toBeGreaterThan(10);
      }
    });
  });

  it('follows the system theme, light or dark, and the switch forces one, remembered', async () => {
    const s = await browser.server();
    await ingest(s, [{ level: 'error', service: 'api', message: 'red' }]);
    const page = await browser.open(s, '/', { fresh: true, colorScheme: 'light' });
    await ready(page);
    const look = (): Promise<{ background: string; text: string; error: string }> =>
      page.evaluate(`(() => ({
        background: getComputedStyle(document.body).backgroundColor,
        text: getComputedStyle(document.body).color,
        error: getComputedStyle(document.querySelector('#log .line .lvl')).color,
      }))()`);
    const LIGHT = { background: 'rgb(255, 255, 255)', text: 'rgb(31, 35, 40)', error: 'rgb(207, 34, 46)' };
    const DARK = { background: 'rgb(20, 22, 26)', text: 'rgb(215, 218, 224)', error: 'rgb(255, 107, 107)' };
    await expect.poll(look).toEqual(LIGHT);
    await page.emulateMedia({ colorScheme: 'dark' });
    expect(await look()).toEqual(DARK);
    expect(await page.textContent('#theme')).toBe('◐ auto');

    await page.click('#theme');
    expect(await page.textContent('#theme')).toBe('☀ light');
    expect(await look()).toEqual(LIGHT); // forced, although the system is dark
    await page.click('#theme');
    expect(await page.textContent('#theme')).toBe('☾ dark');
    await page.emulateMedia({ colorScheme: 'light' });
    expect(await look()).toEqual(DARK);
    await page.reload();
    await ready(page);
    expect(await look()).toEqual(DARK); // remembered in this browser
    await page.click('#theme');
    expect(await page.textContent('#theme')).toBe('◐ auto');
    expect(await look()).toEqual(LIGHT);
  });

  it('renders the README screenshots at 1280x800 and 390x844 (written only with UPDATE_SCREENSHOTS=1)', async () => {
    const shots = await takeScreenshots(browser.browser, process.env.UPDATE_SCREENSHOTS === '1');
    expect(shots.map((s) => [s.file.split('/').at(-1), s.width, s.height])).toEqual([
      ['web-viewer.png', 1280, 800],
      ['web-viewer-phone.png', 390, 844],
    ]);
    for (const shot of shots) {
      // A PNG's IHDR holds its size: the picture is the viewport.
      expect([shot.png.readUInt32BE(16), shot.png.readUInt32BE(20)]).toEqual([shot.width, shot.height]);
      expect(shot.png.length).toBeGreaterThan(20_000);
    }
  }, 60_000);
});
