/**
 * The web viewer under a steady 1,000 lines/s, in a real Chromium (see browser-harness.ts):
 * the rows on screen stay at the page's cap (5,000), every line is accounted for, and the
 * page's cost is measured and printed — idle first, then at the cap (the screen filled
 * through the page's own entry handler, then 1,000 lines/s through the server: the oldest rows
 * leave as new ones come): frame intervals and long tasks as the page sees them (wall clock),
 * and the CPU time of the renderer's main thread from a Chromium trace (thread time: what the page costs, whatever else the machine runs). Then the
 * cost of one frame's work at the cap — 17 new rows, 1,000 lines/s at 60 frames/s, built and
 * laid out — against the same page with its chunks always laid out, in the same run. The
 * numbers are printed, not asserted: timings on a shared machine are noise (the guide's rule);
 * what is asserted is what a reader relies on.
 */
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import type { LogEntry } from '../logs/entry.js';
import type { RunningServer } from '../server.js';
import { DESKTOP, ready, skipBrowserTests, useBrowser } from './browser-harness.js';

const MAX_ROWS = 5000;
const RATE = 1000; // lines per second
const LEVELS: LogEntry['level'][] = ['INFO', 'INFO', 'DEBUG', 'INFO', 'WARNING', 'DEBUG', 'ERROR', 'INFO', 'NOTICE', 'DEBUG'];

/** Publishes `RATE` lines per second for `ms`, in 10 ms steps, catching up when a timer is late. */
async function push(s: RunningServer, from: number, ms: number): Promise<number> {
  const start = performance.now();
  let sent = 0;
  while (performance.now() - start < ms) {
    const due = Math.floor(((performance.now() - start) * RATE) / 1000);
    for (; sent < due; sent++) {
      const n = from + sent;
      const message = n % 50 === 0 ? `stack ${n}: ${'at Object.<anonymous> (/srv/app/handler.js:42:13) '.repeat(6)}` : `request ${n} GET /api/v1/orders/${n} 200 ${n % 300} ms`;
      s.ingest({ level: LEVELS[n % LEVELS.length], service: `svc${n % 7}`, category: 'HTTP', message, ts: Date.now() });
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return sent;
}

interface FrameStats {
  frames: number;
  p50: number;
  p95: number;
  max: number;
  longTasks: number;
  longTaskMs: number;
}

/** Starts recording frame intervals (requestAnimationFrame) and long tasks in the page. */
function record(page: Page): Promise<unknown> {
  return page.evaluate(`(() => {
    const m = { frames: [], longTasks: [], on: true };
    window.__measure = m;
    new PerformanceObserver((list) => { for (const t of list.getEntries()) m.longTasks.push(t.duration); }).observe({ type: 'longtask' });
    let last = performance.now();
    const tick = (now) => { m.frames.push(now - last); last = now; if (m.on) requestAnimationFrame(tick); };
    requestAnimationFrame(tick);
  })()`);
}

/** The frames and long tasks since the last call. */
async function take(page: Page): Promise<FrameStats> {
  const raw = (await page.evaluate(`(() => {
    const m = window.__measure;
    const out = { frames: m.frames.splice(0), longTasks: m.longTasks.splice(0) };
    return out;
  })()`)) as { frames: number[]; longTasks: number[] };
  const sorted = raw.frames.slice(1).sort((a, b) => a - b);
  const at = (q: number): number => Math.round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0);
  return {
    frames: sorted.length,
    p50: at(0.5),
    p95: at(0.95),
    max: Math.round(sorted.at(-1) ?? 0),
    longTasks: raw.longTasks.length,
    longTaskMs: Math.round(raw.longTasks.reduce((a, b) => a + b, 0)),
  };
}

interface TraceEvent {
  name: string;
  ph: string;
  tid: number;
  dur?: number;
  tdur?: number;
  args?: { name?: string };
}

/** CPU time of the page's main thread per second, and its longest task, from a Chromium trace. */
function mainThreadCpu(trace: Buffer, seconds: number): { cpuMsPerSecond: number; longestTaskCpuMs: number; tasks: number } {
  const parsed = JSON.parse(trace.toString('utf8')) as { traceEvents: TraceEvent[] } | TraceEvent[];
  const events = Array.isArray(parsed) ? parsed : parsed.traceEvents;
  const mains = new Set(events.filter((e) => e.ph === 'M' && e.name === 'thread_name' && e.args?.name === 'CrRendererMain').map((e) => e.tid));
  const perThread = new Map<number, number[]>();
  for (const e of events) {
    if (e.ph !== 'X' || e.name !== 'ThreadControllerImpl::RunTask' || !mains.has(e.tid)) continue;
    const list = perThread.get(e.tid) ?? [];
    list.push((e.tdur ?? 0) / 1000);
    perThread.set(e.tid, list);
  }
  // The page's renderer is the busiest main thread in the trace.
  const tasks = [...perThread.values()].sort((a, b) => b.length - a.length)[0] ?? [];
  return {
    cpuMsPerSecond: Math.round(tasks.reduce((a, b) => a + b, 0) / seconds),
    longestTaskCpuMs: Math.round(Math.max(0, ...tasks)),
    tasks: tasks.length,
  };
}

const rowsOnScreen = (page: Page): Promise<number> => page.$$eval('#log .line', (lines) => lines.length);

/**
 * Median time of one frame's work on a full screen: `rows` entries handed to the page's own
 * entry handler, then its frame callback (which builds, trims and scrolls: a forced layout).
 * Calls the page's script directly (its functions are globals of a classic script).
 */
function frameCost(page: Page, rows: number, css: string): Promise<number> {
  return page.evaluate(`(() => {
    let n = 0;
    const entry = () => ({ level: 'INFO', service: 'svc' + (++n % 7), category: 'HTTP', message: n % 50 === 0 ? 'x '.repeat(200) : 'request ' + n + ' GET /api/v1/orders/' + n + ' 200 ms', ts: Date.now() });
    const frame = () => { const t0 = performance.now(); for (let i = 0; i < ${rows}; i++) onEntry(normalise(entry())); flush(); return performance.now() - t0; };
    const style = document.createElement('style');
    style.textContent = ${JSON.stringify(css)};
    document.head.append(style);
    for (let i = 0; i < 10; i++) frame();
    const times = [];
    for (let i = 0; i < 40; i++) times.push(frame());
    style.remove();
    return times.sort((a, b) => a - b)[20];
  })()`);
}

/** Puts `MAX_ROWS` rows on screen through the page's own entry handler and frame callback. */
async function fillScreen(page: Page): Promise<void> {
  await page.evaluate(`(() => {
    for (let i = 0; i < ${MAX_ROWS}; i++) onEntry(normalise({ level: 'INFO', service: 'fill', category: 'GENERAL', message: 'fill ' + i, ts: Date.now() }));
    while (pending.length > 0) flush();
  })()`);
}

const browser = useBrowser();

describe.skipIf(skipBrowserTests('browser-load.test.ts'))('the web viewer at 1,000 lines/s', () => {
  it('keeps at most 5,000 rows, shows the newest line, and counts right; frame times are annotated', async ({ annotate }) => {
    const s = await browser.server({ history: 0 });
    const page = await browser.open(s, '/', { viewport: DESKTOP });
    await ready(page);
    await record(page);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const idle = await take(page);
    await fillScreen(page);
    expect(await rowsOnScreen(page)).toBe(MAX_ROWS);
    await take(page);

    // At the cap: every new row pushes the oldest out. Sampled while it runs: never above it.
    let most = 0;
    const sampler = setInterval(() => {
      void rowsOnScreen(page).then((n) => (most = Math.max(most, n)), () => undefined);
    }, 250);
    browser.defer(() => clearInterval(sampler));
    await browser.browser.startTracing(page, { categories: ['devtools.timeline', 'toplevel'] });
    const sent = await push(s, 0, 5000);
    const atCap = await take(page);
    const cpu = mainThreadCpu(await browser.browser.stopTracing(), 5);
    clearInterval(sampler);

    const last = sent - 1;
    await expect.poll(() => page.$$eval('#log .line .msg', (m) => m.at(-1)?.textContent), { timeout: 30_000 }).toContain(`request ${last} `);
    expect(most).toBeLessThanOrEqual(MAX_ROWS);
    expect(await rowsOnScreen(page)).toBe(MAX_ROWS);
    expect(await page.textContent('#counts')).toBe(`${MAX_ROWS} of ${MAX_ROWS} lines`);
    // Following all along: the newest row is in view.
    expect(await page.$eval('#log', (log) => log.scrollTop + log.clientHeight >= log.scrollHeight - 2)).toBe(true);
    await annotate(
      `viewer at ${RATE} lines/s, ${sent} lines, cap ${MAX_ROWS} rows (frame interval ms p50/p95/max; long tasks count/total ms):\n` +
        `  idle    ${JSON.stringify(idle)}\n  at cap  ${JSON.stringify(atCap)}\n` +
        `  at cap, the page's main thread: ${JSON.stringify(cpu)}`,
    );
    expect(atCap.frames).toBeGreaterThan(0);
    expect(cpu.tasks).toBeGreaterThan(0);
  }, 90_000);

  it('one frame of 17 new rows on a full screen: the chunked page against the same rows always laid out (annotated)', async ({ annotate }) => {
    const s = await browser.server({ history: 0 });
    // bypassCSP: the comparison adds a style element, which the page's policy forbids.
    const page = await browser.open(s, '/', { viewport: DESKTOP, bypassCSP: true });
    await ready(page);
    await fillScreen(page);
    expect(await rowsOnScreen(page)).toBe(MAX_ROWS);
    const chunked = [];
    const flat = [];
    for (let round = 0; round < 3; round++) {
      chunked.push(await frameCost(page, 17, ''));
      flat.push(await frameCost(page, 17, '.chunk { content-visibility: visible; }'));
    }
    const median = (xs: number[]): number => xs.sort((a, b) => a - b)[1];
    await annotate(
      `one frame at ${MAX_ROWS} rows, 17 rows in and 17 out (median ms of 3 rounds × 40 frames): ` +
        `chunked ${median(chunked).toFixed(2)}, always laid out ${median(flat).toFixed(2)} (${(median(flat) / median(chunked)).toFixed(1)}×)`,
    );
    expect(await rowsOnScreen(page)).toBe(MAX_ROWS);
  }, 90_000);
});
