/**
 * Adversarial scripts for the example server (issue 26 §3): each scenario starts a server with
 * the command line's defaults (plus `--password`/`--producer-token` where it needs one), attacks
 * it the way the issue describes, and prints what happened as one JSON line. Other hosts are
 * played by binding client sockets to 127.0.0.x (all loopback on Linux).
 *
 *   npx tsx examples/irc-log-server/bench/hostile.ts [streams|slowloris|idle-ingest|viewer-guesses|token-guesses]
 *
 * With no argument every scenario runs, one after the other. Times depend on the machine; the
 * counts do not.
 *
 * @module
 */
import { Agent, request } from 'node:http';
import { connect, type Socket } from 'node:net';
import { COMMAND_LINE_DEFAULTS } from '../flags.js';
import { startServer, type RunningServer } from '../server.js';

type Scenario = () => Promise<Record<string, unknown>>;

async function server(overrides: Parameters<typeof startServer>[0]): Promise<RunningServer> {
  return startServer({ ...COMMAND_LINE_DEFAULTS, ircPort: 0, ingestPort: 0, httpPort: 0, demo: false, ...overrides });
}

/** A connected socket, and when it closed (listened for from the start: a refusal can come before all are open). */
function open(port: number, localAddress = '127.0.0.1'): Promise<{ socket: Socket; closed: Promise<number> }> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, localAddress }, () => resolve({ socket, closed }));
    const closed = new Promise<number>((done) => socket.once('close', () => done(Date.now())));
    socket.on('error', () => undefined);
    socket.once('error', reject);
    socket.resume(); // read (and drop) what the server says, or its close is never seen
  });
}

/** Status of GET `path`, from `localAddress`, over `agent` (keep-alive) if given. */
function status(port: number, path: string, localAddress = '127.0.0.1', agent?: Agent): Promise<number> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path, localAddress, agent }, (res) => {
      resolve(res.statusCode ?? 0);
      // Streams stay open (the attacker holds them); other answers are read to the end.
      if (res.statusCode !== 200 || !path.startsWith('/events')) res.resume();
    });
    req.on('error', () => resolve(0));
    req.end();
  });
}

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

/** One client asks for 1,100 streams; then another address asks for one. */
const streams: Scenario = async () => {
  const s = await server({});
  const port = s.httpPort ?? 0;
  const agent = new Agent({ keepAlive: false, maxSockets: Infinity });
  const codes = await Promise.all(Array.from({ length: 1100 }, () => status(port, '/events?channel=%23logs-all', '127.0.0.1', agent)));
  const other = await status(port, '/events?channel=%23logs-all', '127.0.0.2');
  const result = { scenario: 'streams', asked: 1100, accepted: codes.filter((c) => c === 200).length, refused503: codes.filter((c) => c === 503).length, otherAddress: other };
  agent.destroy();
  await s.close();
  return result;
};

/** 300 sockets send a request line and then one header byte a second, forever. */
const slowloris: Scenario = async () => {
  const s = await server({});
  const port = s.httpPort ?? 0;
  const started = Date.now();
  const opened = await Promise.all(Array.from({ length: 300 }, () => open(port)));
  const sockets = opened.map((o) => o.socket);
  const drips = sockets.map((socket) => {
    socket.write('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n');
    return setInterval(() => socket.writable && socket.write('X'), 1000);
  });
  const limit = new Promise<number>((resolve) => setTimeout(() => resolve(-1), 70_000));
  const times = await Promise.all(opened.map(({ closed }) => Promise.race([closed.then((at) => at - started), limit])));
  for (const drip of drips) clearInterval(drip);
  for (const socket of sockets) socket.destroy();
  await s.close();
  const closed = times.filter((t) => t >= 0);
  return { scenario: 'slowloris', sockets: 300, closedWithin70s: closed.length, medianCloseMs: median(closed), maxCloseMs: Math.max(...closed) };
};

/** 256 ingest sockets from 4 addresses that never send; then a producer from a fifth. */
const idleIngest: Scenario = async () => {
  const s = await server({});
  const port = s.ingestPort ?? 0;
  const started = Date.now();
  const opened = await Promise.all(Array.from({ length: 256 }, (_, i) => open(port, `127.0.0.${1 + (i % 4)}`)));
  const times = opened.map(({ closed }) => closed.then((at) => at - started));
  await new Promise((resolve) => setTimeout(resolve, 200));
  const held = s.stats().ingest[0].connections;
  const { socket: honest } = await open(port, '127.0.0.5');
  const sent = Date.now();
  honest.write(`${JSON.stringify({ level: 'info', service: 'honest', message: 'hello' })}\n`);
  while (s.stats().linesIn === 0 && Date.now() - sent < 10_000) await new Promise((resolve) => setTimeout(resolve, 5));
  const honestMs = s.stats().linesIn === 1 ? Date.now() - sent : -1;
  const closed = await Promise.all(times);
  const result = { scenario: 'idle-ingest', sockets: 256, addresses: 4, held, refused: s.stats().ingest[0].refusedConnections, honestAcceptedMs: honestMs, allClosedMs: Math.max(...closed) };
  honest.destroy();
  await s.close();
  return result;
};

/** As many wrong `?token=` requests as 64 keep-alive connections can send in 2 s. */
const viewerGuesses: Scenario = async () => {
  const s = await server({ password: 'correct horse battery staple' });
  const port = s.httpPort ?? 0;
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  const counts = new Map<number, number>();
  const until = Date.now() + 2000;
  let n = 0;
  await Promise.all(
    Array.from({ length: 64 }, async () => {
      while (Date.now() < until) {
        const code = await status(port, `/channels?token=guess${n++}`, '127.0.0.1', agent);
        counts.set(code, (counts.get(code) ?? 0) + 1);
      }
    }),
  );
  const right = await status(port, '/channels?token=correct%20horse%20battery%20staple', '127.0.0.1');
  const other = await status(port, '/channels?token=correct%20horse%20battery%20staple', '127.0.0.2');
  agent.destroy();
  await s.close();
  return { scenario: 'viewer-guesses', guesses: n, answered401: counts.get(401) ?? 0, refused429: counts.get(429) ?? 0, rightTokenSameAddress: right, rightTokenOtherAddress: other };
};

/** As many wrong producer tokens as 16 connections at a time can send in 2 s. */
const tokenGuesses: Scenario = async () => {
  const s = await server({ producerToken: 'correct horse battery staple' });
  const port = s.ingestPort ?? 0;
  const until = Date.now() + 2000;
  const replies = new Map<string, number>();
  let n = 0;
  const guess = (token: string, from = '127.0.0.1'): Promise<string> =>
    new Promise((resolve) => {
      const socket = connect({ host: '127.0.0.1', port, localAddress: from }, () => socket.write(`${JSON.stringify({ token })}\n`));
      let text = '';
      socket.setEncoding('utf8');
      socket.on('data', (chunk: string) => (text += chunk));
      socket.on('error', () => undefined);
      socket.on('close', () => resolve(text.includes('too many failed') ? 'refused' : text.includes('authentication required') ? 'checked' : text === '' ? 'accepted' : 'other'));
      setTimeout(() => socket.end(), 200).unref();
    });
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (Date.now() < until) {
        const kind = await guess(`guess${n++}`);
        replies.set(kind, (replies.get(kind) ?? 0) + 1);
      }
    }),
  );
  const other = await guess('correct horse battery staple', '127.0.0.2');
  await s.close();
  return { scenario: 'token-guesses', guesses: n, checked: replies.get('checked') ?? 0, refused: replies.get('refused') ?? 0, rightTokenOtherAddress: other };
};

const SCENARIOS: Record<string, Scenario> = { streams, slowloris, 'idle-ingest': idleIngest, 'viewer-guesses': viewerGuesses, 'token-guesses': tokenGuesses };

const asked = process.argv.slice(2);
for (const name of asked.length > 0 ? asked : Object.keys(SCENARIOS)) {
  const scenario = SCENARIOS[name];
  if (scenario === undefined) throw new RangeError(`unknown scenario ${name}; try ${Object.keys(SCENARIOS).join(', ')}`);
  console.log(JSON.stringify(await scenario()));
}
