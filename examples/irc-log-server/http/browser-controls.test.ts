/**
 * The web viewer's controls in a real Chromium (browser-harness.ts), at phone and desktop
 * widths: level toggles, search, the time zone, the keyboard, pause with a channel switch,
 * copying, a channel that does not exist, the pattern box's spellings, and bidi controls in
 * log text.
 */
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import type { RunningServer } from '../server.js';
import { DESKTOP, PHONE, ingest, live, markers, ready, shownRows, skipBrowserTests, useBrowser, visibleMessages } from './browser-harness.js';

const browser = useBrowser();

const LEVELS = ['TRACE', 'DEBUG', 'INFO', 'NOTICE', 'WARNING', 'ERROR', 'CRITICAL', 'FATAL'];
const oneOfEach = LEVELS.map((level) => ({ level, service: 'api', message: `${level.toLowerCase()} line` }));

const counts = (page: Page): Promise<string | null> => page.textContent('#counts');
const param = (page: Page, name: string): string | null => new URL(page.url()).searchParams.get(name);

/** What a copy of the current selection puts on the clipboard: the page's text, or the browser's own copy of the selection. */
async function copied(page: Page): Promise<string> {
  await page.evaluate(`(() => {
    window.__copied = undefined;
    addEventListener('copy', (ev) => { window.__copied = ev.defaultPrevented ? ev.clipboardData.getData('text/plain') : String(getSelection()); }, { once: true });
  })()`);
  await page.keyboard.press('Control+C');
  await expect.poll(() => page.evaluate('window.__copied')).not.toBeUndefined();
  return (await page.evaluate('window.__copied')) as string;
}

/** Selects from the start of one element to the end of another (both found by selector, `nth` match). */
function select(page: Page, from: [string, number], to: [string, number]): Promise<unknown> {
  return page.evaluate(`(() => {
    const a = document.querySelectorAll(${JSON.stringify(from[0])})[${from[1]}];
    const b = document.querySelectorAll(${JSON.stringify(to[0])})[${to[1]}];
    const range = document.createRange();
    range.setStart(a.firstChild, 0);
    range.setEnd(b.firstChild, b.firstChild.length);
    getSelection().removeAllRanges();
    getSelection().addRange(range);
  })()`);
}

async function watching(s: RunningServer, path: string, viewport: typeof PHONE | typeof DESKTOP, options = {}): Promise<Page> {
  const page = await browser.open(s, path, { viewport, ...options });
  await ready(page);
  return page;
}

describe.skipIf(skipBrowserTests('browser-controls.test.ts'))('the web viewer controls in Chromium', () => {
  describe.each([
    ['phone', PHONE],
    ['desktop', DESKTOP],
  ] as const)('at %s width', (_, viewport) => {
    it('has one toggle per level, ERROR WARN INFO DEBUG, that hide and show lines, counted, and kept in the address', async () => {
      const s = await browser.server();
      await ingest(s, oneOfEach);
      const page = await watching(s, '/', viewport);
      await expect.poll(async () => (await shownRows(page)).length).toBe(8);
      for (const name of ['ERROR', 'WARN', 'INFO', 'DEBUG']) {
        const toggle = page.getByRole('checkbox', { name, exact: true });
        expect(await toggle.isChecked(), name).toBe(true);
        expect(await toggle.isVisible(), name).toBe(true);
      }
      await page.getByRole('checkbox', { name: 'DEBUG', exact: true }).click();
      expect(await visibleMessages(page)).toEqual(['info line', 'notice line', 'warning line', 'error line', 'critical line', 'fatal line']);
      expect(await counts(page)).toBe('6 of 8 lines');
      expect(param(page, 'levels')).toBe('ERROR,WARN,INFO');
      await page.getByRole('checkbox', { name: 'INFO', exact: true }).click();
      await page.getByRole('checkbox', { name: 'ERROR', exact: true }).click();
      expect(await visibleMessages(page)).toEqual(['warning line']);
      expect(await counts(page)).toBe('1 of 8 lines');
      // Live lines follow the toggles too.
      await ingest(s, [{ level: 'warn', service: 'api', message: 'live warning' }, { level: 'error', service: 'api', message: 'live error' }]);
      await expect.poll(async () => (await shownRows(page)).length).toBe(10);
      expect(await visibleMessages(page)).toEqual(['warning line', 'live warning']);
      expect(await counts(page)).toBe('2 of 10 lines');

      // The address keeps them: the same view after a reload (the backlog filtered alike).
      expect(param(page, 'levels')).toBe('WARN');
      await page.reload();
      await ready(page);
      await expect.poll(async () => (await shownRows(page)).length).toBe(10);
      expect(await page.getByRole('checkbox', { name: 'ERROR', exact: true }).isChecked()).toBe(false);
      expect(await page.getByRole('checkbox', { name: 'WARN', exact: true }).isChecked()).toBe(true);
      expect(await visibleMessages(page)).toEqual(['warning line', 'live warning']);
    });

    it('searches text or /regex/ in history and live lines, marks the matches as text, and counts n of m', async () => {
      const s = await browser.server();
      await ingest(s, [
        { level: 'info', service: 'payments', message: 'charge ok in 20 ms' },
        { level: 'error', service: 'payments', message: 'charge TIMEOUT after 5000 ms <b>x</b>' },
        { level: 'info', service: 'search', message: 'query ok' },
      ]);
      const page = await watching(s, '/', viewport);
      await expect.poll(async () => (await shownRows(page)).length).toBe(3);
      expect(await page.getAttribute('#search', 'type')).toBe('search');

      await page.fill('#search', 'timeout');
      await expect.poll(() => visibleMessages(page)).toEqual(['charge TIMEOUT after 5000 ms <b>x</b>']);
      expect(await counts(page)).toBe('1 of 3 lines');
      expect(await page.$$eval('#log mark', (marks) => marks.map((m) => m.textContent))).toEqual(['TIMEOUT']);
      // A match inside text that looks like markup is marked as text, never parsed.
      await page.fill('#search', '<b>');
      await expect.poll(() => page.$$eval('#log mark', (marks) => marks.map((m) => m.textContent))).toEqual(['<b>']);
      expect(await page.$$('#log b')).toHaveLength(0);
      // The service is searched too.
      await page.fill('#search', 'PAYMENTS');
      await expect.poll(() => counts(page)).toBe('2 of 3 lines');

      await page.fill('#search', '/\\d{4,} ms/');
      await expect.poll(() => visibleMessages(page)).toEqual(['charge TIMEOUT after 5000 ms <b>x</b>']);
      expect(await page.$$eval('#log mark', (marks) => marks.map((m) => m.textContent))).toEqual(['5000 ms']);
      expect(param(page, 'q')).toBe('/\\d{4,} ms/');
      await page.fill('#search', '/^query|^charge ok/');
      await expect.poll(() => visibleMessages(page)).toEqual(['charge ok in 20 ms', 'query ok']);
      // Live lines are searched as they come; the counter follows the level toggles as well.
      await ingest(s, [{ level: 'debug', service: 'search', message: 'query ok again' }, { level: 'info', service: 'search', message: 'no match' }]);
      await expect.poll(() => counts(page)).toBe('3 of 5 lines');
      await page.getByRole('checkbox', { name: 'DEBUG', exact: true }).click();
      expect(await counts(page)).toBe('2 of 5 lines');
      await page.getByRole('checkbox', { name: 'DEBUG', exact: true }).click();

      // Not a regular expression: said so, and nothing is filtered meanwhile.
      await page.fill('#search', '/(/');
      await expect.poll(() => page.getAttribute('#search', 'aria-invalid')).toBe('true');
      expect(await counts(page)).toBe('5 of 5 lines');
      expect(await page.$$('#log mark')).toHaveLength(0);
      await page.fill('#search', '');
      await expect.poll(() => page.getAttribute('#search', 'aria-invalid')).toBe(null);
      expect(param(page, 'q')).toBe(null);
    });

    it('shows local time or UTC, the date above each day and on hover, and keeps the choice in the address', async () => {
      const s = await browser.server();
      const before = Date.UTC(2026, 10, 29, 23, 59, 58, 120);
      await ingest(s, [
        { level: 'info', service: 'api', message: 'before midnight', ts: before },
        { level: 'info', service: 'api', message: 'after midnight', ts: before + 4000 },
      ]);
      // Japan: UTC+09:00, so both lines fall on 30 November in local time.
      const page = await watching(s, '/', viewport, { timezoneId: 'Asia/Tokyo' });
      await expect.poll(async () => (await shownRows(page)).length).toBe(2);
      expect((await shownRows(page)).map((r) => r.time)).toEqual(['08:59:58.120', '09:00:02.120']);
      expect(await markers(page, 'day')).toEqual(['2026-11-30 Monday · Asia/Tokyo (UTC+09:00)']);
      expect(await page.getAttribute('#utc', 'aria-pressed')).toBe('false');

      await page.click('#utc');
      expect((await shownRows(page)).map((r) => r.time)).toEqual(['23:59:58.120', '00:00:02.120']);
      expect(await markers(page, 'day')).toEqual(['2026-11-29 Sunday · UTC', '2026-11-30 Monday · UTC']);
      expect(param(page, 'tz')).toBe('utc');
      await page.hover('#log .line >> nth=1 >> .time');
      expect(await page.getAttribute('#log .line >> nth=1 >> .time', 'title')).toBe('Monday 2026-11-30 00:00:02.120 UTC');
      await page.reload();
      await ready(page);
      await expect.poll(async () => (await shownRows(page)).map((r) => r.time)).toEqual(['23:59:58.120', '00:00:02.120']);
      expect(await page.getAttribute('#utc', 'aria-pressed')).toBe('true');
    });

    it('takes / for search, space to pause (not while typing), End for the latest', async () => {
      const s = await browser.server();
      await ingest(s, Array.from({ length: 120 }, (_, i) => ({ level: 'info', service: 'api', message: `line ${i}` })));
      const page = await watching(s, '/', viewport);
      await expect.poll(async () => (await shownRows(page)).length).toBe(20); // the history's last 20
      await ingest(s, Array.from({ length: 100 }, (_, i) => ({ level: 'info', service: 'api', message: `more ${i}` })));
      await expect.poll(async () => (await shownRows(page)).length).toBe(120);

      await page.click('#log .line >> nth=-1');
      await page.keyboard.press('/');
      expect(await page.evaluate('document.activeElement.id')).toBe('search');
      expect(await page.inputValue('#search')).toBe(''); // the / is not typed
      await page.keyboard.type('more 9 ');
      expect(await page.textContent('#pause')).toBe('Pause'); // a space typed in the box
      await page.fill('#search', '');

      await page.click('#log .line >> nth=-1');
      await page.keyboard.press(' ');
      expect(await page.textContent('#pause')).toBe('Resume (0 new)');
      await ingest(s, [{ level: 'info', service: 'api', message: 'held' }]);
      await expect.poll(() => page.textContent('#pause')).toBe('Resume (1 new)');
      await page.keyboard.press(' ');
      await expect.poll(async () => (await visibleMessages(page)).at(-1)).toBe('held');

      await page.mouse.move(viewport.width / 2, viewport.height / 2);
      await page.mouse.wheel(0, -3000);
      await page.waitForSelector('#latest.shown');
      await page.keyboard.press('End');
      await expect.poll(() => page.$eval('#log', (log) => log.scrollTop + log.clientHeight >= log.scrollHeight - 2)).toBe(true);
      expect(await page.isVisible('#latest')).toBe(false);
    });

    it('never mixes channels: lines held while paused stay with the channel they came from', async () => {
      const s = await browser.server();
      await ingest(s, [{ level: 'error', service: 'db', message: 'old error' }]);
      const page = await watching(s, '/', viewport);
      await expect.poll(() => visibleMessages(page)).toEqual(['old error']);
      await page.click('#pause');
      await ingest(s, [1, 2, 3].map((n) => ({ level: 'info', service: 'api', message: `all ${n}` })));
      await expect.poll(() => page.textContent('#pause')).toBe('Resume (3 new)');
      await page.selectOption('#channel', '#logs-error');
      await page.waitForSelector('#state:text("#logs-error")');
      await ingest(s, [{ level: 'info', service: 'api', message: 'info, not here' }, { level: 'error', service: 'api', message: 'new error' }]);
      await expect.poll(() => visibleMessages(page)).toEqual(['old error', 'new error']);
      expect(await page.textContent('#pause')).toBe('Pause');
      // Resuming and pausing again brings nothing of #logs-all back.
      await page.click('#pause');
      await page.click('#pause');
      expect(await visibleMessages(page)).toEqual(['old error', 'new error']);
      expect(await markers(page, 'note')).toEqual(['watching #logs-error', "last 1 line from the server's history"]);
    });

    it('copies a selected line as that one line, several lines as one text line each, part of a message as that part', async () => {
      const s = await browser.server();
      const ts = Date.UTC(2026, 10, 29, 21, 4, 5, 678);
      await ingest(s, [
        { level: 'warning', service: 'api', category: 'http', message: 'first message', ts },
        { level: 'error', service: 'db', message: 'second message', ts: ts + 1 },
        { level: 'info', service: 'api', message: 'third message', ts: ts + 2 },
      ]);
      const page = await watching(s, '/?tz=utc', viewport);
      await expect.poll(async () => (await shownRows(page)).length).toBe(3);
      await select(page, ['#log .time', 1], ['#log .msg', 1]);
      expect(await copied(page)).toBe('2026-11-29T21:04:05.679Z ERROR db second message');
      await page.click('#log .msg >> nth=0', { clickCount: 3 });
      expect(await copied(page)).toBe('2026-11-29T21:04:05.678Z WARNING api/http first message');
      await select(page, ['#log .msg', 0], ['#log .msg', 2]);
      expect((await copied(page)).split('\n')).toEqual([
        '2026-11-29T21:04:05.678Z WARNING api/http first message',
        '2026-11-29T21:04:05.679Z ERROR db second message',
        '2026-11-29T21:04:05.680Z INFO api third message',
      ]);
      await page.evaluate(`(() => {
        const text = document.querySelectorAll('#log .msg')[2].firstChild;
        getSelection().setBaseAndExtent(text, 0, text, 5);
      })()`);
      expect(await copied(page)).toBe('third');
    });

    it('names a channel or pattern that does not exist instead of reconnecting', async () => {
      const s = await browser.server();
      const page = await browser.open(s, '/?channel=%23nope', { viewport });
      await page.waitForSelector('#state[data-state="error"]');
      expect(await page.textContent('#problem')).toContain('no such channel "#nope"');
      expect(await page.textContent('#state')).toBe('not watching: no such channel "#nope"');
      await new Promise((resolve) => setTimeout(resolve, 2500)); // past a reconnect's first delay
      expect(await page.getAttribute('#state', 'data-state')).toBe('error');
      expect(s.web!.stats().viewersTotal).toBe(0);

      await browser.open(s, '/?pattern=logs//ERROR', { viewport });
      await page.waitForSelector('#state[data-state="error"]');
      expect(await page.textContent('#problem')).toContain('empty level');
      // From there, the box still works.
      await page.fill('#pattern', '#logs-warning');
      await page.press('#pattern', 'Enter');
      await live(page);
      expect(await page.inputValue('#channel')).toBe('#logs-warning');
      expect(await page.textContent('#problem')).toBe('');
    });

    it('takes a pattern as the IRC side spells it (#logs/*/ERROR) or as a topic (logs/*/ERROR)', async () => {
      for (const [typed, label] of [
        ['#logs/*/ERROR', '#logs/*/ERROR'],
        ['logs/*/error', 'logs/*/ERROR'],
        ['#LOGS/*/Error', '#logs/*/ERROR'],
      ]) {
        const s = await browser.server();
        const page = await watching(s, '/', viewport);
        await page.fill('#pattern', typed);
        await page.press('#pattern', 'Enter');
        await page.waitForSelector(`#log .note:text-is("watching ${label}")`);
        await ready(page);
        await ingest(s, [
          { level: 'error', service: 'api', message: 'api error' },
          { level: 'info', service: 'api', message: 'api info' },
          { level: 'error', service: 'db', message: 'db error' },
        ]);
        await expect.poll(() => visibleMessages(page), { message: typed }).toEqual(['api error', 'db error']);
        expect(await page.textContent('#problem')).toBe('');
        expect(param(page, 'pattern')).toBe('logs/*/ERROR');
      }
    });

    it('removes bidi controls from log text, so a line shows what it says', async () => {
      const s = await browser.server();
      const page = await watching(s, '/?tz=utc', viewport);
      const ts = Date.UTC(2026, 10, 29, 21, 4, 5, 678);
      await ingest(s, [{ level: 'error', service: 'api', message: 'abc\u202Eevil\u202C \u2067isolated\u2069 \u200Fmark', ts }]);
      await expect.poll(async () => (await shownRows(page)).length).toBe(1);
      expect((await shownRows(page))[0].msg).toBe('abcevil isolated mark');
      // On screen, left to right in reading order: each letter starts right of the one before.
      const lefts = (await page.evaluate(`(() => {
        const text = document.querySelector('#log .msg').firstChild;
        const out = [];
        for (let i = 0; i < 7; i++) {
          const range = document.createRange();
          range.setStart(text, i);
          range.setEnd(text, i + 1);
          out.push(range.getBoundingClientRect().left);
        }
        return out;
      })()`)) as number[];
      for (let i = 1; i < lefts.length; i++) expect(lefts[i], `letter ${i} of "abcevil"`).toBeGreaterThan(lefts[i - 1]);
      await page.click('#log .msg', { clickCount: 3 });
      expect(await copied(page)).toBe('2026-11-29T21:04:05.678Z ERROR api abcevil isolated mark');
    });
  });
});
