/**
 * examples/minimal-irc-log-server.ts as its users meet it: a real IRC client library
 * (irc-framework) and raw sockets on 127.0.0.1, producers writing JSON Lines to the ingest port.
 * Every server listens on port 0 and is closed after its test, with every socket.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { Client as IrcClient } from 'irc-framework';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { startLogServer, type LogEntry } from '../minimal-irc-log-server.js';

type Server = Awaited<ReturnType<typeof startLogServer>>;

const SERVER_NAME = 'test.local';
const BOT = `:logbot!logbot@${SERVER_NAME}`;

/** What each channel promises, written out by hand (not through the broker's matcher). */
const BELONGS: Record<string, (entry: LogEntry) => boolean> = {
  '#logs-all': () => true,
  '#logs-error': (entry) => entry.level === 'error',
  '#logs-warning': (entry) => entry.level === 'warning',
  '#logs-database': (entry) => entry.service === 'database' || entry.service.startsWith('database/'),
  '#logs-security': (entry) => entry.service === 'security' || entry.service.startsWith('security/'),
};

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  vi.restoreAllMocks();
});

/** Console lines the server printed (it reports bad and refused ingest lines there). */
function captureLog(): string[] {
  const printed: string[] = [];
  vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => void printed.push(args.map(String).join(' ')));
  return printed;
}

async function start(options: Parameters<typeof startLogServer>[0] = {}): Promise<Server> {
  const server = await startLogServer({ ircPort: 0, ingestPort: 0, serverName: SERVER_NAME, ...options });
  cleanups.push(() => server.close());
  return server;
}

/** Resolves when `check()` holds, polling; fails after `timeoutMs`. */
async function until(check: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

/** An IRC client of irc-framework that records every line the server sends. */
class Watcher {
  readonly lines: string[] = [];
  private cursor = 0;
  private tokens = 0;

  private constructor(readonly irc: IrcClient) {
    irc.on('raw', (event) => {
      if (event.from_server) this.lines.push(event.line.replace(/\r?\n$/, ''));
    });
  }

  static async connect(port: number, nick: string): Promise<Watcher> {
    const irc = new IrcClient();
    const watcher = new Watcher(irc);
    cleanups.push(() => watcher.quit());
    const registered = new Promise<void>((resolve, reject) => {
      irc.once('registered', resolve);
      irc.once('close', () => reject(new Error(`${nick} closed before registering: ${watcher.lines.join(' | ')}`)));
    });
    irc.connect({ host: '127.0.0.1', port, nick, username: nick, gecos: nick, auto_reconnect: false, ping_interval: 0 });
    await registered;
    await watcher.barrier(); // the rest of the registration burst
    return watcher;
  }

  send(line: string): void {
    this.irc.raw(line);
  }

  /** Every line since the previous barrier, up to the PONG of a fresh PING (the server answers in order). */
  async barrier(): Promise<string[]> {
    const token = `barrier${++this.tokens}`;
    this.irc.raw(`PING ${token}`);
    const pong = `:${SERVER_NAME} PONG ${SERVER_NAME} :${token}`;
    await until(() => this.lines.includes(pong), `${pong}; last lines: ${this.lines.slice(-5).join(' | ')}`);
    const end = this.lines.indexOf(pong);
    const got = this.lines.slice(this.cursor, end);
    this.cursor = end + 1;
    return got;
  }

  /** Joins the channels, one JOIN each, and returns the replies. */
  async join(...channels: string[]): Promise<string[]> {
    for (const channel of channels) this.irc.join(channel);
    return this.barrier();
  }

  quit(): Promise<void> {
    if (!this.irc.connected) return Promise.resolve();
    const closed = new Promise<void>((resolve) => this.irc.once('socket close', resolve));
    this.irc.quit('done');
    return Promise.race([closed, sleep(2000)]);
  }
}

/** `#channel text` of each PRIVMSG from the bot among `lines`. */
function privmsgs(lines: string[]): string[] {
  const prefix = `${BOT} PRIVMSG `;
  return lines.filter((line) => line.startsWith(prefix)).map((line) => line.slice(prefix.length).replace(' :', ' '));
}

/** A raw TCP connection: what is written is written as is, and every byte read is kept. */
class Raw {
  private readonly chunks: Buffer[] = [];
  readonly closed: Promise<void>;

  private constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => void this.chunks.push(chunk));
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
    socket.on('error', () => undefined); // a reset shows as `closed`
  }

  static async connect(port: number): Promise<Raw> {
    const socket = connect(port, '127.0.0.1');
    cleanups.push(() => socket.destroy());
    await once(socket, 'connect');
    return new Raw(socket);
  }

  get received(): Buffer {
    return Buffer.concat(this.chunks);
  }

  get lines(): string[] {
    return this.received.toString('utf8').split('\r\n').slice(0, -1);
  }

  async waitFor(pattern: RegExp): Promise<string> {
    await until(() => this.lines.some((line) => pattern.test(line)), `${pattern} in ${this.lines.slice(-5).join(' | ')}`);
    return this.lines.find((line) => pattern.test(line)) ?? '';
  }
}

/** Sends `lines` to the ingest port on one connection and waits until the server has read them all. */
async function produce(port: number, lines: string[]): Promise<void> {
  const socket = connect(port, '127.0.0.1');
  cleanups.push(() => socket.destroy());
  socket.resume();
  socket.end(lines.map((line) => `${line}\n`).join(''));
  await once(socket, 'close'); // the server closes its side after reading our end
}

const json = (level: string, service: string, message: string): string => JSON.stringify({ level, service, message });

describe('registration', () => {
  it('welcomes NICK/USER with 001–004 in order, then 005 and 422, and answers PING with PONG', async () => {
    const server = await start();
    const alice = await Watcher.connect(server.ircPort, 'alice');
    const registration = alice.lines.slice(0, alice.lines.findIndex((line) => line.includes(' PONG ')));
    // irc-framework asks for capabilities first: none are offered, so CAP gets 421.
    expect(registration.map((line) => line.split(' ')[1])).toEqual(['421', '001', '002', '003', '004', '005', '422']);
    expect(alice.lines[1]).toBe(`:${SERVER_NAME} 001 alice :Welcome to the logcaster IRC network alice!~alice@127.0.0.1`);
    alice.send('PING :a token with spaces');
    await until(() => alice.lines.includes(`:${SERVER_NAME} PONG ${SERVER_NAME} :a token with spaces`), 'the PONG');
  });

  it('answers 451 to commands before registration, 433 to a nick in use, and 421 to unknown commands', async () => {
    const server = await start();
    await Watcher.connect(server.ircPort, 'alice');
    const raw = await Raw.connect(server.ircPort);
    raw.socket.write('JOIN #logs-all\r\nFOO\r\nNICK Alice\r\nNICK logbot\r\nNICK bob\r\nUSER bob 0 * :Bob\r\nFOO bar\r\n');
    await raw.waitFor(/ 421 bob FOO /);
    expect(raw.lines).toEqual([
      `:${SERVER_NAME} 451 * :You have not registered`,
      `:${SERVER_NAME} 451 * :You have not registered`,
      `:${SERVER_NAME} 433 * Alice :Nickname is already in use`,
      `:${SERVER_NAME} 433 * logbot :Nickname is already in use`,
      `:${SERVER_NAME} 001 bob :Welcome to the logcaster IRC network bob!~bob@127.0.0.1`,
      `:${SERVER_NAME} 002 bob :Your host is ${SERVER_NAME}, running logcaster-minimal`,
      `:${SERVER_NAME} 003 bob :This server was created just now`,
      `:${SERVER_NAME} 004 bob ${SERVER_NAME} logcaster-minimal i :mnt`,
      `:${SERVER_NAME} 005 bob CASEMAPPING=ascii CHANTYPES=# PREFIX=(o)@ :are supported by this server`,
      `:${SERVER_NAME} 422 bob :MOTD File is missing`,
      `:${SERVER_NAME} 421 bob FOO :Unknown command`,
    ]);
  });
});

describe('channels', () => {
  it('delivers each entry as a PRIVMSG from the bot, in order, in exactly the channels it belongs to', async () => {
    const server = await start();
    const alice = await Watcher.connect(server.ircPort, 'alice');
    const bob = await Watcher.connect(server.ircPort, 'bob');
    const joined = await alice.join('#logs-all', '#logs-error', '#LOGS-Database');
    expect(joined).toEqual([
      ':alice!~alice@127.0.0.1 JOIN :#logs-all',
      `:${SERVER_NAME} 332 alice #logs-all :Log entries on logs/# (read-only)`,
      `:${SERVER_NAME} 353 alice = #logs-all :@logbot alice`,
      `:${SERVER_NAME} 366 alice #logs-all :End of /NAMES list`,
      ':alice!~alice@127.0.0.1 JOIN :#logs-error',
      `:${SERVER_NAME} 332 alice #logs-error :Log entries on logs/error/# (read-only)`,
      `:${SERVER_NAME} 353 alice = #logs-error :@logbot alice`,
      `:${SERVER_NAME} 366 alice #logs-error :End of /NAMES list`,
      ':alice!~alice@127.0.0.1 JOIN :#logs-database',
      `:${SERVER_NAME} 332 alice #logs-database :Log entries on logs/*/database/# (read-only)`,
      `:${SERVER_NAME} 353 alice = #logs-database :@logbot alice`,
      `:${SERVER_NAME} 366 alice #logs-database :End of /NAMES list`,
    ]);
    await bob.join('#logs-warning,#logs-security', '#logs-nope');
    expect(bob.lines).toContain(`:${SERVER_NAME} 403 bob #logs-nope :No such channel`);

    const entries: LogEntry[] = [];
    for (let i = 0; i < 60; i++) {
      const level = ['debug', 'info', 'warning', 'error'][i % 4];
      const service = ['api', 'database', 'database/postgres', 'databases', 'security/auth', 'web/security'][i % 6];
      entries.push({ level, service, message: `entry ${i}` });
    }
    await produce(server.ingestPort, entries.map((e) => json(e.level, e.service, e.message)));

    for (const [watcher, channels] of [[alice, ['#logs-all', '#logs-error', '#logs-database']], [bob, ['#logs-warning', '#logs-security']]] as const) {
      const got = privmsgs(await watcher.barrier());
      for (const channel of channels) {
        const expected = entries.filter(BELONGS[channel]).map((e) => `${channel} [${e.level.toUpperCase()}] ${e.service}: ${e.message}`);
        expect(expected.length).toBeGreaterThan(0);
        expect(got.filter((line) => line.startsWith(`${channel} `))).toEqual(expected);
      }
      expect(got.length).toBe(channels.reduce((sum, channel) => sum + entries.filter(BELONGS[channel]).length, 0));
    }
    expect(server.stats()).toMatchObject({ published: 60, malformed: 0, limited: 0, sendQDropped: 0 });
  });

  it('PART echoes, ends the channel’s entries, and answers 442 for a channel not joined', async () => {
    const server = await start();
    const alice = await Watcher.connect(server.ircPort, 'alice');
    await alice.join('#logs-all', '#logs-error');
    alice.send('PART #logs-error :enough');
    alice.send('PART #logs-warning');
    alice.send('NAMES #logs-error,#logs-all');
    expect(await alice.barrier()).toEqual([
      ':alice!~alice@127.0.0.1 PART #logs-error :enough',
      `:${SERVER_NAME} 442 alice #logs-warning :You're not on that channel`,
      `:${SERVER_NAME} 353 alice = #logs-error :@logbot`,
      `:${SERVER_NAME} 366 alice #logs-error :End of /NAMES list`,
      `:${SERVER_NAME} 353 alice = #logs-all :@logbot alice`,
      `:${SERVER_NAME} 366 alice #logs-all :End of /NAMES list`,
    ]);
    await produce(server.ingestPort, [json('error', 'api', 'after the part')]);
    expect(privmsgs(await alice.barrier())).toEqual(['#logs-all [ERROR] api: after the part']);
  });

  it('answers the MODE and WHO queries clients make after a JOIN; the channels are read-only', async () => {
    const server = await start();
    const alice = await Watcher.connect(server.ircPort, 'alice');
    await alice.join('#logs-all');
    for (const line of ['MODE alice +i', 'MODE #logs-all', 'MODE #logs-all b', 'MODE #logs-all +o alice', 'MODE #nope', 'WHO #logs-all']) {
      alice.send(line);
    }
    alice.send('PRIVMSG #logs-all :hello');
    alice.send('NOTICE #logs-all :hello');
    expect(await alice.barrier()).toEqual([
      `:${SERVER_NAME} 221 alice :+`,
      `:${SERVER_NAME} 324 alice #logs-all :+mnt`,
      `:${SERVER_NAME} 368 alice #logs-all :End of channel ban list`,
      `:${SERVER_NAME} 482 alice #logs-all :You're not channel operator`,
      `:${SERVER_NAME} 403 alice #nope :No such channel`,
      `:${SERVER_NAME} 315 alice #logs-all :End of WHO list`,
      `:${SERVER_NAME} 404 alice #logs-all :Cannot send: logs only, read-only`,
    ]);
  });

  it('QUIT gets ERROR and a closed connection, and frees the nick', async () => {
    const server = await start();
    const raw = await Raw.connect(server.ircPort);
    raw.socket.write('NICK carol\r\nUSER carol 0 * :Carol\r\nJOIN #logs-all\r\nQUIT :bye now\r\n');
    await raw.closed;
    expect(raw.lines.slice(-2)).toEqual([
      `:${SERVER_NAME} 366 carol #logs-all :End of /NAMES list`,
      'ERROR :Closing Link: 127.0.0.1 (Quit: bye now)',
    ]);
    await until(() => server.stats().clients === 0, 'the client to be forgotten');
    const again = await Watcher.connect(server.ircPort, 'carol');
    expect(again.lines).toContain(`:${SERVER_NAME} 001 carol :Welcome to the logcaster IRC network carol!~carol@127.0.0.1`);
  });
});

describe('ingest', () => {
  it('counts and reports a malformed line and delivers the lines around it', async () => {
    const printed = captureLog();
    const server = await start();
    const alice = await Watcher.connect(server.ircPort, 'alice');
    await alice.join('#logs-all');
    await produce(server.ingestPort, [
      json('info', 'api', 'before'),
      'this is not JSON',
      json('fatal', 'api', 'unknown level'),
      json('info', 'api/#', 'a wildcard in the service'),
      '{"level":"info","service":"api"}',
      '',
      json('info', 'api', 'after'),
    ]);
    expect(privmsgs(await alice.barrier())).toEqual(['#logs-all [INFO] api: before', '#logs-all [INFO] api: after']);
    expect(server.stats()).toMatchObject({ published: 2, malformed: 4 });
    const reports = printed.filter((line) => line.startsWith('producer 127.0.0.1:'));
    expect(reports).toHaveLength(4);
    expect(reports[0]).toContain('not JSON (1 bad lines so far): this is not JSON');
    expect(reports[1]).toContain('level must be one of debug, info, warning, error');
    expect(reports[2]).toContain('service must be a name');
    expect(reports[3]).toContain('message must be a string');
  });

  it('cannot forge IRC lines: CR, LF, NUL and \\x01 never reach a client, long text is cut on a character', async () => {
    const server = await start();
    const raw = await Raw.connect(server.ircPort);
    raw.socket.write('NICK eve\r\nUSER eve 0 * :Eve\r\nJOIN #logs-all\r\n');
    await raw.waitFor(/ 366 eve #logs-all /);
    const forged = 'one\r\n:evil!e@e PRIVMSG #logs-all :forged\rtwo\nthree\u0000four \u0001ACTION dances\u0001 \u0002bold';
    await produce(server.ingestPort, [json('error', 'api', forged), json('info', 'api', 'é'.repeat(600))]);
    raw.socket.write('PING end\r\n');
    await raw.waitFor(/PONG \S+ :end$/);
    const text = raw.received.toString('utf8');
    expect(text).not.toMatch(/[\0\x01\x02]|\r(?!\n)|(?<!\r)\n/);
    expect(text).not.toContain('\uFFFD');
    const fromBot = raw.lines.filter((line) => line.startsWith(BOT));
    expect(fromBot.slice(0, 4)).toEqual([
      `${BOT} PRIVMSG #logs-all :[ERROR] api: one`,
      `${BOT} PRIVMSG #logs-all :[ERROR] api: :evil!e@e PRIVMSG #logs-all :forged`,
      `${BOT} PRIVMSG #logs-all :[ERROR] api: two`,
      `${BOT} PRIVMSG #logs-all :[ERROR] api: three four  ACTION dances   bold`,
    ]);
    expect(raw.lines.filter((line) => !line.startsWith(`:${SERVER_NAME} `) && !line.startsWith(':eve!'))).toEqual(fromBot);
    const long = fromBot[4];
    expect(Buffer.byteLength(long)).toBeGreaterThan(500);
    expect(Buffer.byteLength(long)).toBeLessThanOrEqual(510);
    expect(long).toMatch(/^[^ ]+ PRIVMSG #logs-all :\[INFO\] api: (é)+$/);
  });

  it('takes a burst of a few hundred lines from one producer by default', async () => {
    const server = await start();
    const alice = await Watcher.connect(server.ircPort, 'alice');
    await alice.join('#logs-all');
    const lines = Array.from({ length: 400 }, (_, i) => json('info', 'burst', `line ${i}`));
    await produce(server.ingestPort, lines);
    const got = privmsgs(await alice.barrier());
    expect(got).toEqual(lines.map((_, i) => `#logs-all [INFO] burst: line ${i}`));
    expect(server.stats().limited).toBe(0);
  });

  it('refuses and counts the lines of a producer over its rate limit, and not another producer’s', async () => {
    const printed = captureLog();
    const server = await start({ producerBurst: 50, producerRatePerSecond: 0 });
    const alice = await Watcher.connect(server.ircPort, 'alice');
    await alice.join('#logs-all');
    await produce(server.ingestPort, Array.from({ length: 80 }, (_, i) => json('info', 'flood', `flood ${i}`)));
    await produce(server.ingestPort, Array.from({ length: 10 }, (_, i) => json('info', 'calm', `calm ${i}`)));
    const got = privmsgs(await alice.barrier());
    expect(got).toEqual([
      ...Array.from({ length: 50 }, (_, i) => `#logs-all [INFO] flood: flood ${i}`),
      ...Array.from({ length: 10 }, (_, i) => `#logs-all [INFO] calm: calm ${i}`),
    ]);
    expect(server.stats()).toMatchObject({ published: 60, limited: 30, malformed: 0 });
    expect(printed.filter((line) => line.includes('is over its rate limit'))).toHaveLength(1);
  });
});

describe('a slow client', () => {
  it('is disconnected with "SendQ exceeded" while a reading client gets every line', async () => {
    const server = await start({ producerBurst: 1_000_000, sendQBytes: 64 * 1024 });
    const fast = await Watcher.connect(server.ircPort, 'fast');
    await fast.join('#logs-all');
    const slow = await Raw.connect(server.ircPort);
    slow.socket.write('NICK slow\r\nUSER slow 0 * :Slow\r\nJOIN #logs-all\r\n');
    await slow.waitFor(/ 366 slow #logs-all /);
    slow.socket.pause(); // stops reading: the kernel's buffers fill, then the server's SendQ
    // One producer, paced so that a client that reads keeps up; it goes on after the overflow.
    const producer = connect(server.ingestPort, '127.0.0.1');
    cleanups.push(() => producer.destroy());
    await once(producer, 'connect');
    const padding = 'x'.repeat(100);
    let sent = 0;
    let afterOverflow = 0;
    while (afterOverflow < 2000) {
      if (sent > 500_000) throw new Error('500,000 lines and the slow client’s SendQ never overflowed');
      const batch = Array.from({ length: 500 }, (_, i) => `${json('info', 'bulk', `${sent + i} ${padding}`)}\n`);
      if (!producer.write(batch.join(''))) await once(producer, 'drain');
      sent += 500;
      if (server.stats().sendQDropped > 0) afterOverflow += 500;
      // Read again at once: the server gives a disconnected client 2 s to take its ERROR line.
      if (afterOverflow > 0) slow.socket.resume();
      await sleep(2);
    }
    producer.end();
    await once(producer, 'close');
    await slow.closed;
    expect(slow.lines.at(-1)).toBe('ERROR :Closing Link: 127.0.0.1 (SendQ exceeded)');
    const got = privmsgs(await fast.barrier());
    expect(got).toHaveLength(sent);
    expect(got.every((line, i) => line === `#logs-all [INFO] bulk: ${i} ${padding}`)).toBe(true);
    expect(server.stats()).toMatchObject({ published: sent, clients: 1 });
  }, 30_000);
});

describe('the command line', () => {
  const runner = fileURLToPath(new URL('../run.ts', import.meta.url));
  let child: ChildProcess | undefined;
  afterEach(() => {
    if (child?.exitCode === null) child.kill('SIGKILL');
  });

  it('runs through `npm run example`, prints its ports, serves, and stops when its parent goes away', async () => {
    // Forked with an IPC channel: the example stops when it closes, as when a parent dies.
    child = fork(runner, ['minimal-irc-log-server', '--irc-port', '0', '--ingest-port', '0'], {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => void (output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => void (output += chunk.toString()));
    const exited = once(child, 'exit');
    await until(() => /ingest on 127\.0\.0\.1:\d+/.test(output), `the ports in: ${output}`, 15_000);
    const ircPort = Number(/IRC on 127\.0\.0\.1:(\d+): irssi -c 127\.0\.0\.1 -p \1, then \/join #logs-all/.exec(output)?.[1]);
    const ingestPort = Number(/ingest on 127\.0\.0\.1:(\d+): printf '\{.*\}\\n' \| nc -q1 127\.0\.0\.1 \1/.exec(output)?.[1]);
    expect(ircPort).toBeGreaterThan(0);
    expect(ingestPort).toBeGreaterThan(0);

    const raw = await Raw.connect(ircPort);
    raw.socket.write('NICK dave\r\nUSER dave 0 * :Dave\r\nJOIN #logs-security\r\n');
    await raw.waitFor(/ 366 dave #logs-security /);
    await produce(ingestPort, [json('warning', 'security/auth', 'three failed logins')]);
    await raw.waitFor(/PRIVMSG #logs-security :\[WARNING\] security\/auth: three failed logins$/);
    child.disconnect();
    await raw.closed;
    expect(raw.lines.at(-1)).toBe('ERROR :Closing Link: 127.0.0.1 (Server shutting down)');
    expect((await exited)[0]).toBe(0);
    expect(output).toMatch(/stopped: \{ published: 1, malformed: 0, limited: 0, sendQDropped: 0, clients: [01] \}/);
  });
});
