/**
 * The web viewer in a real browser (browser-harness.ts: Debian's chromium-headless-shell
 * driven by playwright-core): lines in order with their colours, patterns, pause, following,
 * reconnect and resume, the password, and a frozen tab. The page's controls are in
 * browser-controls.test.ts, its layout at phone and desktop widths in browser-layout.test.ts,
 * its behaviour at 1,000 lines/s in browser-load.test.ts.
 */
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import type { LogEntry } from '../logs/entry.js';
import { startServer } from '../server.js';
import { ingest, live, markers, shownRows, skipBrowserTests, useBrowser, visibleMessages } from './browser-harness.js';

// These run in the page (the project's tsconfig has no DOM lib).
declare const getComputedStyle: (element: unknown) => { color: string; backgroundColor: string };

const browser = useBrowser();

const LEVEL_COLOURS: Record<string, string> = {
  TRACE: 'rgb(125, 133, 144)',
  DEBUG: 'rgb(57, 197, 207)',
  INFO: 'rgb(86, 211, 100)',
  NOTICE: 'rgb(88, 166, 255)',
  WARNING: 'rgb(227, 179, 65)',
  ERROR: 'rgb(255, 107, 107)',
  CRITICAL: 'rgb(255, 64, 64)',
  FATAL: 'rgb(255, 255, 255)',
};

function levelColours(page: Page): Promise<{ colour: string; background: string }[]> {
  return page.$$eval('#log .line .lvl', (cells) => cells.map((cell) => ({ colour: getComputedStyle(cell).color, background: getComputedStyle(cell).backgroundColor })));
}

const messages = async (page: Page): Promise<string[]> => (await shownRows(page)).map((r) => r.msg);

describe.skipIf(skipBrowserTests('browser.test.ts'))('the web viewer in Chromium', () => {
  it('shows entries sent to the ingest port in order, with time, service, category and the level colour', async () => {
    const s = await browser.server();
    const page = await browser.open(s);
    await live(page);
    const base = Date.UTC(2026, 10, 29, 21, 4, 5, 678);
    const levels = Object.keys(LEVEL_COLOURS);
    const sent = levels.map((level, i) => ({ level, service: 'payments', category: 'database', message: `${i}: <b>not bold</b> ${level.toLowerCase()} line`, ts: base + i }));
    await ingest(s, sent);
    await expect.poll(async () => (await shownRows(page)).length, { timeout: 10_000 }).toBe(levels.length);
    const shown = await shownRows(page);
    expect(shown.map((r) => r.msg)).toEqual(sent.map((e) => e.message));
    expect(shown.map((r) => r.level)).toEqual(levels);
    expect(shown[1].time).toBe('21:04:05.679');
    expect(shown[0].src).toBe('payments/database');
    const colours = await levelColours(page);
    levels.forEach((level, i) => expect(colours[i].colour, level).toBe(LEVEL_COLOURS[level]));
    expect(colours[levels.indexOf('FATAL')].background).toBe('rgb(209, 36, 47)');
    expect(await page.$$('#log b')).toHaveLength(0); // text, never markup
    expect(await page.textContent('#counts')).toBe('8 of 8 lines');
  });

  it('shows only what a pattern matches, and the search narrows what is shown', async () => {
    const s = await browser.server();
    const page = await browser.open(s);
    await live(page);
    await page.fill('#pattern', 'logs/payments/*');
    await page.press('#pattern', 'Enter');
    await page.waitForSelector('#state:text("logs/payments/*")', { timeout: 10_000 });
    const entries = [];
    for (let i = 0; i < 10; i++) {
      entries.push({ level: 'warning', service: i % 2 ? 'api' : 'payments', message: `${i % 2 ? 'api' : 'payments'} ${i} ${i % 4 === 0 ? 'timeout' : 'ok'}` });
    }
    entries.push({ level: 'info', service: 'payments', message: 'last' });
    await ingest(s, entries);
    await expect.poll(async () => (await messages(page)).at(-1), { timeout: 10_000 }).toBe('last');
    expect(await messages(page)).toEqual(['payments 0 timeout', 'payments 2 ok', 'payments 4 timeout', 'payments 6 ok', 'payments 8 timeout', 'last']);
    expect(new URL(page.url()).searchParams.get('pattern')).toBe('logs/payments/*');

    await page.fill('#search', 'TIMEOUT');
    await expect.poll(() => visibleMessages(page)).toEqual(['payments 0 timeout', 'payments 4 timeout', 'payments 8 timeout']);
    await ingest(s, [{ level: 'error', service: 'payments', message: 'new timeout' }, { level: 'error', service: 'payments', message: 'new other' }]);
    await expect.poll(async () => (await shownRows(page)).length, { timeout: 10_000 }).toBe(8);
    expect((await visibleMessages(page)).at(-1)).toBe('new timeout');
    expect(await page.textContent('#counts')).toBe('4 of 8 lines');

    await page.fill('#pattern', 'logs/bad+');
    await page.press('#pattern', 'Enter');
    await expect.poll(() => page.textContent('#problem')).toContain('pattern may only use');

    await page.fill('#search', '');
    await page.selectOption('#channel', '#logs-error');
    await page.waitForSelector('#state:text("#logs-error")', { timeout: 10_000 });
    await ingest(s, [{ level: 'info', service: 'api', message: 'quiet' }, { level: 'critical', service: 'api', message: 'loud' }]);
    // The channel's history comes first (the two errors above, marked as backlog), then live lines.
    await expect.poll(() => messages(page), { timeout: 10_000 }).toEqual(['new timeout', 'new other', 'loud']);
    expect((await shownRows(page)).map((r) => r.backlog)).toEqual([true, true, false]);
  });

  it('holds lines while paused, counts them, bounds them, and shows them on resume', async () => {
    const s = await browser.server();
    const page = await browser.open(s, '/?buffer=3');
    await live(page);
    await page.click('#pause');
    await ingest(s, [1, 2, 3, 4, 5].map((n) => ({ level: 'info', service: 'api', message: `held ${n}` })));
    await expect.poll(() => page.textContent('#pause'), { timeout: 10_000 }).toBe('Resume (5 new)');
    expect(await shownRows(page)).toHaveLength(0);
    await page.click('#pause');
    await expect.poll(() => messages(page), { timeout: 10_000 }).toEqual(['held 3', 'held 4', 'held 5']);
    expect(await markers(page, 'gap')).toEqual(['2 lines skipped while paused']);
    expect(await page.textContent('#pause')).toBe('Pause');
    // The gap sits before the lines that survived (under the date of the first).
    expect(await page.$$eval('#log > .chunk > *', (nodes) => nodes.map((n) => n.className))).toEqual(['note', 'gap', 'day', 'line lvl-INFO', 'line lvl-INFO', 'line lvl-INFO']);
  });

  it('stops following when the reader scrolls up, offers to jump back, and follows again at the bottom', async () => {
    const s = await browser.server();
    const page = await browser.open(s);
    await live(page);
    await ingest(s, Array.from({ length: 100 }, (_, i) => ({ level: 'info', service: 'api', message: `line ${i}` })));
    await expect.poll(async () => (await shownRows(page)).length, { timeout: 10_000 }).toBe(100);
    const atBottom = (): Promise<boolean> => page.$eval('#log', (log) => log.scrollTop + log.clientHeight >= log.scrollHeight - 2);
    expect(await atBottom()).toBe(true);
    await page.mouse.move(600, 400);
    await page.mouse.wheel(0, -5000);
    await page.waitForSelector('#latest.shown');
    const top = await page.$eval('#log', (log) => log.scrollTop);
    await ingest(s, [{ level: 'info', service: 'api', message: 'below' }]);
    await expect.poll(() => page.textContent('#latest'), { timeout: 10_000 }).toBe('Jump to latest (1 new)');
    expect(await page.$eval('#log', (log) => log.scrollTop)).toBe(top);
    await page.click('#latest');
    expect(await atBottom()).toBe(true);
    await ingest(s, [{ level: 'info', service: 'api', message: 'followed' }]);
    await expect.poll(async () => (await messages(page)).at(-1), { timeout: 10_000 }).toBe('followed');
    await expect.poll(atBottom).toBe(true);
  });

  it('shows the connection state and reconnects by itself when the server comes back', async () => {
    const first = await startServer({ ircPort: 0, ingestPort: 0, httpPort: 0, demo: false });
    browser.defer(() => first.close());
    const port = first.httpPort!;
    const page = await browser.open(first);
    await live(page);
    await first.close();
    await page.waitForSelector('#state[data-state="reconnecting"]', { timeout: 10_000 });
    const second = await browser.server({ httpPort: port });
    await page.waitForSelector('#state[data-state="live"]', { timeout: 30_000 });
    await ingest(second, [{ level: 'notice', service: 'api', message: 'after the restart' }]);
    await expect.poll(() => messages(page), { timeout: 10_000 }).toEqual(['after the restart']);
  }, 45_000);

  it('resumes after the server drops the stream: no line lost or repeated, lines from the history marked', async () => {
    const s = await browser.server();
    const line = (message: string): LogEntry => ({ level: 'INFO', service: 'api', category: 'GENERAL', message, ts: Date.now() });
    s.ingest(line('before 1'));
    s.ingest(line('before 2'));
    const page = await browser.open(s);
    await live(page);
    const shown = async (): Promise<{ msg: string; backlog: boolean }[]> => (await shownRows(page)).map(({ msg, backlog }) => ({ msg, backlog }));
    await expect.poll(shown, { timeout: 10_000 }).toEqual([{ msg: 'before 1', backlog: true }, { msg: 'before 2', backlog: true }]);
    s.ingest(line('live 1'));
    await expect.poll(async () => (await shown()).length, { timeout: 10_000 }).toBe(3);
    // The server ends the stream (not a restart: the history stays); EventSource reconnects by
    // itself after the retry hint, with Last-Event-ID.
    expect(s.web!.endStreams()).toBe(1);
    s.ingest(line('missed 1'));
    s.ingest(line('missed 2'));
    await expect.poll(() => s.web!.stats().resumes, { timeout: 15_000 }).toBe(1);
    await live(page);
    s.ingest(line('live 2'));
    await expect.poll(shown, { timeout: 10_000 }).toEqual([
      { msg: 'before 1', backlog: true },
      { msg: 'before 2', backlog: true },
      { msg: 'live 1', backlog: false },
      { msg: 'missed 1', backlog: true },
      { msg: 'missed 2', backlog: true },
      { msg: 'live 2', backlog: false },
    ]);
    const notes = await page.$$eval('#log .note, #log .live-mark', (nodes) => nodes.map((n) => n.textContent ?? ''));
    expect(notes).toEqual(['watching #logs-all', "last 2 lines from the server's history", 'live', "reconnected: 2 missed lines from the server's history", 'live']);
    expect(await markers(page, 'gap')).toEqual([]);
  }, 30_000);

  it('asks for the password: refused without it, in with ?token= or with HTTP Basic (EventSource included)', async () => {
    const s = await browser.server({ password: 's3cret' });
    const denied = await browser.browser.newContext();
    browser.defer(() => denied.close());
    const response = await (await denied.newPage()).goto(`http://127.0.0.1:${s.httpPort!}/`);
    expect(response?.status()).toBe(401);

    const withToken = await browser.open(s, '/?token=s3cret');
    await live(withToken);
    const withBasic = await browser.open(s, '/?channel=%23logs-error', { httpCredentials: { username: 'ops', password: 's3cret' } });
    await live(withBasic);
    await ingest(s, [{ level: 'error', service: 'api', message: 'seen by both' }]);
    for (const page of [withToken, withBasic]) {
      await expect.poll(() => messages(page), { timeout: 10_000 }).toEqual(['seen by both']);
    }
    // The token stays in the address bar when the view changes.
    await withToken.click('#levels label:has-text("DEBUG")');
    expect(new URL(withToken.url()).searchParams.get('token')).toBe('s3cret');
  });

  it('a frozen tab loses lines on the server side, bounded, and shows how many were skipped when it catches up', async () => {
    const s = await browser.server();
    const page = await browser.open(s, '/', { fresh: true });
    await live(page);
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Page.setWebLifecycleState', { state: 'frozen' });
    // 8 KiB entries until the frozen tab's socket, Chromium's buffers and its 1,000-line queue are full.
    const filler = 'y'.repeat(8000);
    let n = 0;
    while (s.web!.stats().linesSkipped < 500 && n < 40_000) {
      for (let i = 0; i < 100; i++, n++) s.ingest({ level: 'DEBUG', service: 'bulk', category: 'GENERAL', message: `${n} ${filler}`, ts: Date.now() });
      await new Promise((resolve) => setTimeout(resolve, 5));
      expect(s.web!.stats().maxPending).toBeLessThanOrEqual(1001); // the queue, plus the line waiting for 'drain'
    }
    const skipped = s.web!.stats().linesSkipped;
    expect(skipped).toBeGreaterThanOrEqual(500);
    await cdp.send('Page.setWebLifecycleState', { state: 'active' });
    const last = `${n} end`;
    s.ingest({ level: 'INFO', service: 'bulk', category: 'GENERAL', message: last, ts: Date.now() });
    await expect
      .poll(async () => (await messages(page)).at(-1), { timeout: 75_000, message: `the last line after waking (server: ${JSON.stringify(s.web!.stats())})` })
      .toBe(last);
    const announced = (await markers(page, 'gap')).map((text) => Number(/^(\d+) lines? skipped \(this browser fell behind\)$/.exec(text)?.[1]));
    expect(announced.every((count) => count > 0)).toBe(true);
    expect(announced.reduce((a, b) => a + b, 0)).toBe(s.web!.stats().linesSkipped);
    expect(await page.textContent('#counts')).toContain(`${s.web!.stats().linesSkipped} skipped`);
  }, 120_000);
});
