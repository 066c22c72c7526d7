/**
 * The web viewer in a real browser: Debian's chromium-headless-shell driven by playwright-core
 * (`apt-get install chromium-headless-shell`; the npm browser download is not used). Skipped
 * with a message when the binary is missing, unless CI=true, where a missing browser fails.
 */
import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { LogEntry } from '../logs/entry.js';
import { demoEntries } from '../logs/sources/demo.js';
import { startServer, type RunningServer } from '../server.js';

// These run in the page (the project's tsconfig has no DOM lib).
declare const getComputedStyle: (element: unknown) => { color: string; backgroundColor: string };

const CHROMIUM = '/usr/bin/chromium-headless-shell';
const SCREENSHOT = fileURLToPath(new URL('../docs/web-viewer.png', import.meta.url));
const present = existsSync(CHROMIUM);
const mustRun = process.env.CI === 'true';
if (!present && !mustRun) {
  console.warn(`browser.test.ts skipped: ${CHROMIUM} is missing (apt-get install -y chromium-headless-shell); with CI=true this fails instead`);
}

let browser: Browser;
const cleanups: (() => Promise<unknown> | void)[] = [];

beforeAll(async () => {
  if (!present) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium-headless-shell (CI=true requires it)`);
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-dev-shm-usage'],
    timeout: 15_000,
  });
}, 20_000);
afterAll(async () => {
  await browser?.close();
});
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function server(overrides: Parameters<typeof startServer>[0] = {}): Promise<RunningServer> {
  const s = await startServer({ ircPort: 0, ingestPort: 0, httpPort: 0, demo: false, ...overrides });
  cleanups.push(() => s.close());
  return s;
}

async function openPage(s: RunningServer, path = '/', options: Parameters<Browser['newContext']>[0] = {}): Promise<{ page: Page; context: BrowserContext }> {
  const context = await browser.newContext({ viewport: { width: 1180, height: 640 }, timezoneId: 'UTC', ...options });
  cleanups.push(() => context.close());
  const page = await context.newPage();
  await page.goto(`http://127.0.0.1:${s.httpPort!}${path}`);
  return { page, context };
}

const live = (page: Page): Promise<unknown> => page.waitForSelector('#state[data-state="live"]', { timeout: 10_000 });

/** Sends entries through the JSON Lines ingest port, in order, and waits until the server has them. */
function ingest(s: RunningServer, entries: readonly object[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port: s.ingestPort!, host: '127.0.0.1' }, () => {
      socket.end(entries.map((e) => `${JSON.stringify(e)}\n`).join(''));
    });
    socket.on('error', reject);
    socket.on('close', () => resolve());
  });
}

interface Row {
  level: string;
  time: string;
  src: string;
  msg: string;
  colour: string;
  background: string;
  hidden: boolean;
}

function rows(page: Page): Promise<Row[]> {
  return page.$$eval('#log .line', (lines) =>
    lines.map((line) => {
      const lvl = line.querySelector('.lvl')!;
      return {
        level: lvl.textContent ?? '',
        time: line.querySelector('.time')?.textContent ?? '',
        src: line.querySelector('.src')?.textContent ?? '',
        msg: line.querySelector('.msg')?.textContent ?? '',
        colour: getComputedStyle(lvl).color,
        background: getComputedStyle(lvl).backgroundColor,
        hidden: line.classList.contains('hidden'),
      };
    }),
  );
}

const visible = async (page: Page): Promise<Row[]> => (await rows(page)).filter((r) => !r.hidden);
const gaps = (page: Page): Promise<string[]> => page.$$eval('#log .gap', (nodes) => nodes.map((n) => n.textContent ?? ''));

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

describe.skipIf(!present && !mustRun)('the web viewer in Chromium', () => {
  it('shows entries sent to the ingest port in order, with time, service, category and the level colour', async () => {
    const s = await server();
    const { page } = await openPage(s);
    await live(page);
    const base = Date.UTC(2026, 10, 29, 21, 4, 5, 678);
    const levels = Object.keys(LEVEL_COLOURS);
    const sent = levels.map((level, i) => ({ level, service: 'payments', category: 'database', message: `${i}: <b>not bold</b> ${level.toLowerCase()} line`, ts: base + i }));
    await ingest(s, sent);
    await expect.poll(async () => (await rows(page)).length, { timeout: 10_000 }).toBe(levels.length);
    const shown = await rows(page);
    expect(shown.map((r) => r.msg)).toEqual(sent.map((e) => e.message));
    expect(shown.map((r) => r.level)).toEqual(levels);
    expect(shown[1].time).toBe('21:04:05.679');
    expect(shown[0].src).toBe('payments/database');
    for (const row of shown) expect(row.colour, row.level).toBe(LEVEL_COLOURS[row.level]);
    expect(shown.find((r) => r.level === 'FATAL')?.background).toBe('rgb(209, 36, 47)');
    expect(await page.$$('#log b')).toHaveLength(0); // text, never markup

    // The README's screenshot: the demo's traffic.
    let clock = Date.UTC(2026, 10, 29, 21, 5, 0, 0);
    const demo = demoEntries(7, () => (clock += 137));
    const more: LogEntry[] = [];
    for (let i = 0; i < 40; i++) more.push(demo.next().value as LogEntry);
    await ingest(s, more);
    await expect.poll(async () => (await rows(page)).length, { timeout: 10_000 }).toBe(levels.length + 40);
    // Rendered every run; written over the README's picture only when asked, so a test run
    // leaves the working tree clean.
    const picture = await page.screenshot(process.env.UPDATE_SCREENSHOTS === '1' ? { path: SCREENSHOT } : {});
    expect(picture.length).toBeGreaterThan(10_000);
  });

  it('shows only what a pattern matches, and the text filter narrows what is shown', async () => {
    const s = await server();
    const { page } = await openPage(s);
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
    await expect.poll(async () => (await rows(page)).at(-1)?.msg, { timeout: 10_000 }).toBe('last');
    expect((await rows(page)).map((r) => r.msg)).toEqual(['payments 0 timeout', 'payments 2 ok', 'payments 4 timeout', 'payments 6 ok', 'payments 8 timeout', 'last']);
    expect(new URL(page.url()).searchParams.get('pattern')).toBe('logs/payments/*');

    await page.fill('#filter', 'TIMEOUT');
    expect((await visible(page)).map((r) => r.msg)).toEqual(['payments 0 timeout', 'payments 4 timeout', 'payments 8 timeout']);
    await ingest(s, [{ level: 'error', service: 'payments', message: 'new timeout' }, { level: 'error', service: 'payments', message: 'new other' }]);
    await expect.poll(async () => (await rows(page)).length, { timeout: 10_000 }).toBe(8);
    expect((await visible(page)).map((r) => r.msg).at(-1)).toBe('new timeout');

    await page.fill('#pattern', 'logs/bad+');
    await page.press('#pattern', 'Enter');
    await expect.poll(() => page.textContent('#problem')).toContain('pattern may only use');

    await page.selectOption('#channel', '#logs-error');
    await page.waitForSelector('#state:text("#logs-error")', { timeout: 10_000 });
    await ingest(s, [{ level: 'info', service: 'api', message: 'quiet' }, { level: 'critical', service: 'api', message: 'loud' }]);
    // The channel's history comes first (the two errors above, marked as backlog), then live lines.
    await expect.poll(async () => (await rows(page)).map((r) => r.msg), { timeout: 10_000 }).toEqual(['new timeout', 'new other', 'loud']);
    expect(await page.$$eval('#log .line', (lines) => lines.map((l) => l.classList.contains('backlog')))).toEqual([true, true, false]);
  });

  it('holds lines while paused, counts them, bounds them, and shows them on resume', async () => {
    const s = await server();
    const { page } = await openPage(s, '/?buffer=3');
    await live(page);
    await page.click('#pause');
    await ingest(s, [1, 2, 3, 4, 5].map((n) => ({ level: 'info', service: 'api', message: `held ${n}` })));
    await expect.poll(() => page.textContent('#pause'), { timeout: 10_000 }).toBe('Resume (5 new)');
    expect(await rows(page)).toHaveLength(0);
    await page.click('#pause');
    await expect.poll(async () => (await rows(page)).map((r) => r.msg), { timeout: 10_000 }).toEqual(['held 3', 'held 4', 'held 5']);
    expect(await gaps(page)).toEqual(['2 lines skipped while paused']);
    expect(await page.textContent('#pause')).toBe('Pause');
    // The gap sits before the lines that survived.
    expect(await page.$$eval('#log > *', (nodes) => nodes.map((n) => n.className))).toEqual(['note', 'gap', 'line lvl-INFO', 'line lvl-INFO', 'line lvl-INFO']);
  });

  it('stops following when scrolled up and offers to jump back', async () => {
    const s = await server();
    const { page } = await openPage(s);
    await live(page);
    await ingest(s, Array.from({ length: 100 }, (_, i) => ({ level: 'info', service: 'api', message: `line ${i}` })));
    await expect.poll(async () => (await rows(page)).length, { timeout: 10_000 }).toBe(100);
    const atBottom = (): Promise<boolean> => page.$eval('#log', (log) => log.scrollTop + log.clientHeight >= log.scrollHeight - 2);
    expect(await atBottom()).toBe(true);
    await page.$eval('#log', (log) => log.scrollTo(0, 0));
    await page.waitForSelector('#latest.shown');
    await ingest(s, [{ level: 'info', service: 'api', message: 'below' }]);
    await expect.poll(() => page.textContent('#latest'), { timeout: 10_000 }).toBe('Jump to latest (1 new)');
    expect(await page.$eval('#log', (log) => log.scrollTop)).toBe(0);
    await page.click('#latest');
    expect(await atBottom()).toBe(true);
  });

  it('shows the connection state and reconnects by itself when the server comes back', async () => {
    const first = await startServer({ ircPort: 0, ingestPort: 0, httpPort: 0, demo: false });
    const port = first.httpPort!;
    const { page } = await openPage(first);
    await live(page);
    await first.close();
    await page.waitForSelector('#state[data-state="reconnecting"]', { timeout: 10_000 });
    const second = await server({ httpPort: port });
    await page.waitForSelector('#state[data-state="live"]', { timeout: 30_000 });
    await ingest(second, [{ level: 'notice', service: 'api', message: 'after the restart' }]);
    await expect.poll(async () => (await rows(page)).map((r) => r.msg), { timeout: 10_000 }).toEqual(['after the restart']);
  }, 45_000);

  it('resumes after the server drops the stream: no line lost or repeated, lines from the history marked', async () => {
    const s = await server();
    const line = (message: string): LogEntry => ({ level: 'INFO', service: 'api', category: 'GENERAL', message, ts: Date.now() });
    s.ingest(line('before 1'));
    s.ingest(line('before 2'));
    const { page } = await openPage(s);
    await live(page);
    const shown = (): Promise<{ msg: string; backlog: boolean }[]> =>
      page.$$eval('#log .line', (lines) => lines.map((l) => ({ msg: l.querySelector('.msg')?.textContent ?? '', backlog: l.classList.contains('backlog') })));
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
    expect(await gaps(page)).toEqual([]);
  }, 30_000);

  it('asks for the password: refused without it, in with ?token= or with HTTP Basic (EventSource included)', async () => {
    const s = await server({ password: 's3cret' });
    const denied = await browser.newContext();
    cleanups.push(() => denied.close());
    const response = await (await denied.newPage()).goto(`http://127.0.0.1:${s.httpPort!}/`);
    expect(response?.status()).toBe(401);

    const { page: withToken } = await openPage(s, '/?token=s3cret');
    await live(withToken);
    const { page: withBasic } = await openPage(s, '/?channel=%23logs-error', { httpCredentials: { username: 'ops', password: 's3cret' } });
    await live(withBasic);
    await ingest(s, [{ level: 'error', service: 'api', message: 'seen by both' }]);
    for (const page of [withToken, withBasic]) {
      await expect.poll(async () => (await rows(page)).map((r) => r.msg), { timeout: 10_000 }).toEqual(['seen by both']);
    }
  });

  it('a frozen tab loses lines on the server side, bounded, and shows how many were skipped when it catches up', async () => {
    const s = await server();
    const { page, context } = await openPage(s);
    await live(page);
    const cdp = await context.newCDPSession(page);
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
    const lastShown = (): Promise<string | undefined> => page.$$eval('#log .line .msg', (messages) => messages.at(-1)?.textContent ?? undefined);
    await expect
      .poll(lastShown, { timeout: 45_000, message: `the last line after waking (server: ${JSON.stringify(s.web!.stats())})` })
      .toBe(last);
    const announced = (await gaps(page)).map((text) => Number(/^(\d+) lines? skipped \(this browser fell behind\)$/.exec(text)?.[1]));
    expect(announced.every((count) => count > 0)).toBe(true);
    expect(announced.reduce((a, b) => a + b, 0)).toBe(s.web!.stats().linesSkipped);
    expect(await page.textContent('#counts')).toContain(`${s.web!.stats().linesSkipped} skipped`);
  }, 120_000);
});
