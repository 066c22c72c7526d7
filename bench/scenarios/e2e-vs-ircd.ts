/**
 * Scenario: the example IRC log server against ngircd, the IRC daemon people run, under the
 * same load generator (bench/lib/irc-load.c, C, in its own process). N clients join one
 * channel; lines are fed at a fixed rate, to the example through its JSON Lines ingest port
 * and to ngircd as PRIVMSG from feeder clients. Each line carries its send time (monotonic
 * clock), so the clients measure send → receive latency across the whole server.
 *
 * The machine is shared, so the two servers run in the SAME run, alternating which goes
 * first in each round; the tables show medians over the rounds and ratios example / ngircd.
 * RSS is the whole process tree the start command creates (a wrapper process counts), the
 * example being started with the `demo` script of package.json, as its README says.
 *
 * Environment: E2E_IRCD_ROUNDS (default 3), E2E_IRCD_SECONDS of feeding per run (default 5),
 * E2E_IRCD_LOADS: which loads, as `clients×rate` (or `clientsxrate`) separated by commas
 * (default `100x100,1000x100,1000x1000`; the targets and the per-client figure need all three).
 *
 * @module
 */
import { median, record } from '../lib/harness.js';
import { buildLoadGenerator, runLoad, type LoadResult } from '../lib/irc-load.js';
import { demoCommand, hasNgircd, NGIRCD, prepareExample, startExample, startNgircd, type ServerUnderTest } from '../lib/irc-servers.js';
import type { Scenario, ScenarioContext } from '../lib/scenario.js';

const EXAMPLE = 'logcaster example';
const NGIRCD_NAME = 'ngircd';

interface Load {
  clients: number;
  rate: number;
}

const DEFAULT_LOADS: Load[] = [
  { clients: 100, rate: 100 },
  { clients: 1_000, rate: 100 },
  { clients: 1_000, rate: 1_000 },
];

/** The loads E2E_IRCD_LOADS asks for (`100x100,1000x1000`), or the default three. */
function selectedLoads(spec: string | undefined): Load[] {
  if (spec === undefined || spec.trim() === '') return DEFAULT_LOADS;
  return spec.split(',').map((item) => {
    const match = /^\s*(\d+)\s*[x×]\s*(\d+)\s*$/.exec(item);
    if (match === null || Number(match[1]) < 1 || Number(match[2]) < 1) {
      throw new Error(`E2E_IRCD_LOADS: expected clients x rate, e.g. 1000x100 (got ${JSON.stringify(item)})`);
    }
    return { clients: Number(match[1]), rate: Number(match[2]) };
  });
}

interface Run {
  load: LoadResult;
  /** Server CPU (user + system) over the whole run (connect, feed, drain), as a share of one core. */
  cpuShare: number;
  rssPeak: number;
  rssIdle: number;
}

const label = (load: Load): string => `${load.clients.toLocaleString('en-US')} clients × ${load.rate.toLocaleString('en-US')} lines/s`;
const MiB = 2 ** 20;

async function measure(
  executable: string,
  server: 'example' | 'ngircd',
  load: Load,
  durationMs: number,
): Promise<Run> {
  const sut: ServerUnderTest = server === 'example' ? await startExample(load.rate * 2) : await startNgircd();
  try {
    await new Promise((resolve) => setTimeout(resolve, 300));
    const rssIdle = sut.rss();
    const cpuBefore = sut.cpuMs();
    const started = performance.now();
    let rssPeak = rssIdle;
    const sampler = setInterval(() => {
      const rss = sut.rss();
      if (rss > rssPeak) rssPeak = rss;
    }, 100);
    try {
      const result = await runLoad(executable, {
        port: sut.port,
        clients: load.clients,
        channel: server === 'example' ? '#logs-all' : '#bench',
        rate: load.rate,
        durationMs,
        warmupMs: 1_000,
        ingestPort: sut.ingestPort,
        // ngircd reads a few commands per client per loop: spread the PRIVMSGs over clients of
        // 100 lines/s each. The example's ingest takes any rate on one connection.
        feeders: server === 'example' ? 1 : Math.max(1, Math.ceil(load.rate / 100)),
      });
      const cpuShare = (sut.cpuMs() - cpuBefore) / (performance.now() - started);
      return { load: result, cpuShare, rssPeak: Math.max(rssPeak, sut.rss()), rssIdle };
    } finally {
      clearInterval(sampler);
    }
  } finally {
    await sut.stop();
  }
}

function summary(runs: Run[]): { p50: number; p99: number; perSecond: number; rss: number; idle: number; cpu: number; completeness: number; closed: number } {
  return {
    cpu: median(runs.map((r) => r.cpuShare)),
    p50: median(runs.map((r) => r.load.p50)),
    p99: median(runs.map((r) => r.load.p99)),
    perSecond: median(runs.map((r) => r.load.received / (r.load.feedMs / 1000))),
    rss: median(runs.map((r) => r.rssPeak)),
    idle: median(runs.map((r) => r.rssIdle)),
    completeness: Math.min(...runs.map((r) => r.load.received / r.load.expected)),
    closed: Math.max(...runs.map((r) => r.load.closed)),
  };
}

const scenario: Scenario = {
  name: 'e2e-vs-ircd',
  title: 'The example IRC server against ngircd, same C load generator, alternating rounds',
  async run(ctx: ScenarioContext) {
    if (!hasNgircd()) {
      ctx.note(`skipped: ngircd is not installed (${NGIRCD}); on Debian/Ubuntu: apt-get install ngircd`);
      return;
    }
    const built = buildLoadGenerator();
    if ('error' in built) {
      ctx.note(`skipped: the load generator needs a C compiler (${built.error})`);
      return;
    }
    prepareExample();
    const loads = selectedLoads(process.env.E2E_IRCD_LOADS);
    const rounds = Number(process.env.E2E_IRCD_ROUNDS ?? '3');
    const durationMs = 1_000 * Number(process.env.E2E_IRCD_SECONDS ?? '5') + 1_000;
    ctx.note(`example started as \`${demoCommand()}\` (npm run demo, after its predemo build); ${rounds} rounds, ${(durationMs - 1000) / 1000} s timed + 1 s warm-up per run`);
    const runs = new Map<string, Run[]>();
    for (let round = 0; round < rounds; round++) {
      for (const load of loads) {
        const order: ('example' | 'ngircd')[] = round % 2 === 0 ? ['example', 'ngircd'] : ['ngircd', 'example'];
        for (const server of order) {
          const run = await measure(built.path, server, load, durationMs);
          const key = `${server} ${label(load)}`;
          runs.set(key, [...(runs.get(key) ?? []), run]);
          console.log(
            `    round ${round + 1}/${rounds} ${server.padEnd(7)} ${label(load).padEnd(30)} P50 ${run.load.p50.toFixed(2)} ms, P99 ${run.load.p99.toFixed(2)} ms, ` +
              `${Math.round(run.load.received / (run.load.feedMs / 1000)).toLocaleString('en-US')} lines/s, RSS ${(run.rssPeak / MiB).toFixed(1)} MiB, CPU ${(100 * run.cpuShare).toFixed(0)}%, ` +
              `${((100 * run.load.received) / run.load.expected).toFixed(1)}% delivered${run.load.closed > 0 ? `, ${run.load.closed} closed` : ''}`,
          );
        }
      }
    }

    const table: string[] = [
      '| load | example P50 / P99 | ngircd P50 / P99 | P50 ratio | P99 ratio | example / ngircd lines/s | example / ngircd RSS | example / ngircd CPU |',
      '| --- | --- | --- | --- | --- | --- | --- | --- |',
    ];
    const results = new Map<string, ReturnType<typeof summary>>();
    for (const load of loads) {
      const ex = summary(runs.get(`example ${label(load)}`) ?? []);
      const ng = summary(runs.get(`ngircd ${label(load)}`) ?? []);
      results.set(`example ${label(load)}`, ex);
      results.set(`ngircd ${label(load)}`, ng);
      const pair = (what: string, unit: string, higher: boolean, a: number, b: number) =>
        ctx.group(record(`${what}, ${label(load)}`, unit, higher, EXAMPLE, [{ name: EXAMPLE, value: a, samples: rounds }, { name: NGIRCD_NAME, value: b, samples: rounds }]));
      pair('send → receive P50', 'ms', false, ex.p50, ng.p50);
      pair('send → receive P99', 'ms', false, ex.p99, ng.p99);
      pair('delivered lines/s', 'lines/s', true, ex.perSecond, ng.perSecond);
      pair('peak RSS', 'MiB', false, ex.rss / MiB, ng.rss / MiB);
      pair('server CPU over the run (connect, feed, drain)', '% of a core', false, 100 * ex.cpu, 100 * ng.cpu);
      for (const [name, s] of [[EXAMPLE, ex], [NGIRCD_NAME, ng]] as const) {
        if (s.completeness < 0.999 || s.closed > 0) {
          ctx.note(`${name} at ${label(load)}: only ${(100 * s.completeness).toFixed(1)}% of lines delivered in the worst round, ${s.closed} connections closed`);
        }
      }
      table.push(
        `| ${label(load)} | ${ex.p50.toFixed(2)} / ${ex.p99.toFixed(2)} ms | ${ng.p50.toFixed(2)} / ${ng.p99.toFixed(2)} ms | ` +
          `${(ex.p50 / ng.p50).toFixed(2)}× | ${(ex.p99 / ng.p99).toFixed(2)}× | ` +
          `${Math.round(ex.perSecond).toLocaleString('en-US')} / ${Math.round(ng.perSecond).toLocaleString('en-US')} | ` +
          `${(ex.rss / MiB).toFixed(0)} / ${(ng.rss / MiB).toFixed(0)} MiB | ${(100 * ex.cpu).toFixed(0)} / ${(100 * ng.cpu).toFixed(0)}% |`,
      );
    }
    const at = (server: string, load: Load) => results.get(`${server} ${label(load)}`);
    const small = at('example', DEFAULT_LOADS[0]);
    const big = at('example', DEFAULT_LOADS[1]);
    const busy = at('example', DEFAULT_LOADS[2]);
    if (small !== undefined && big !== undefined && busy !== undefined) {
      const perClientKB = (big.rss - small.rss) / (DEFAULT_LOADS[1].clients - DEFAULT_LOADS[0].clients) / 1024;
      ctx.note(`example RSS: ${(small.idle / MiB).toFixed(1)} MiB idle, ${(big.rss / MiB).toFixed(1)} MiB peak at 1,000 clients, ${perClientKB.toFixed(1)} KB per additional client (100 → 1,000 at 100 lines/s)`);
      // Issue 24's goals: each ratio at most 0.8× in every round (the worst round is the one judged),
      // and RSS at most 48 MiB at 1,000 clients.
      for (const load of [DEFAULT_LOADS[1], DEFAULT_LOADS[2]]) {
        const ex = runs.get(`example ${label(load)}`) ?? [];
        const ng = runs.get(`ngircd ${label(load)}`) ?? [];
        for (const at of ['p50', 'p99'] as const) {
          const ratios = ex.map((run, i) => run.load[at] / ng[i].load[at]);
          ctx.note(`${label(load)} ${at.toUpperCase()} example / ngircd by round: ${ratios.map((r) => `${r.toFixed(2)}×`).join(', ')}`);
          ctx.target(`${label(load)}: ${at.toUpperCase()} example / ngircd, worst round`, Math.max(...ratios), 'at-most', 0.8);
        }
      }
      ctx.target('example RSS at 1,000 clients × 100 lines/s', big.rss / MiB, 'at-most', 48, 'MiB');
      ctx.target('example RSS at 1,000 clients × 1,000 lines/s', busy.rss / MiB, 'at-most', 48, 'MiB');
      ctx.target('example RSS per additional client', perClientKB, 'at-most', 12, 'KB');
    }
    console.log(['', ...table].join('\n'));
    for (const row of table.slice(2)) ctx.note(row);
  },
};

export default scenario;
