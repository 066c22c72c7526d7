// A minimal IRC log server: producers send JSON Lines in, people watch them live with any IRC client.
//
// Watch: #logs-error shows only errors, #logs-all every entry, as PRIVMSGs from `logbot` in the order sent.
// Run: npm run example -- minimal-irc-log-server [--irc-port 6667] [--ingest-port 5140] [--host 127.0.0.1]
//   or npx tsx examples/minimal-irc-log-server.ts (port 0 picks a free one); it prints how to connect and send.

import { once } from 'node:events';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { BackpressureManager, Batcher, PubSubBroker, RateLimiter, type Subscription } from 'logcaster';

/** What a producer sends, one JSON object per line. */
export interface LogEntry { level: string; service: string; message: string }

// A PubSubBroker routes entries: published on `logs/<level>/<service>`, matched by each joined channel's
// pattern (its trie does the matching). Services may have levels (`database/postgres`): a family is one `#` away.
const CHANNELS = new Map([
  ['#logs-all', 'logs/#'], // every entry
  ['#logs-error', 'logs/error/#'], // errors of every service
  ['#logs-warning', 'logs/warning/#'],
  ['#logs-database', 'logs/*/database/#'], // every level of `database` and `database/<anything>`
  ['#logs-security', 'logs/*/security/#'], // every level of `security` and `security/<anything>`
]);
const LEVELS = ['debug', 'info', 'warning', 'error'];
const SERVICE = /^[\w.-]{1,40}(\/[\w.-]{1,40}){0,3}$/; // whole topic levels: no wildcard, none empty
const NICK = /^[A-Za-z[\]\\`_^{|}][\w[\]\\`^{|}-]{0,29}$/;
const BOT = 'logbot';

/** One IRC line: no CR, LF or NUL in any part (IRC has no escaping: a CR or LF would start a line of
 * our own), the last part after a `:` (always allowed), at most 510 bytes plus CRLF. */
function frame(...parts: string[]): string {
  const safe = parts.map((part) => part.replace(/[\0\r\n]/g, ' '));
  const bytes = Buffer.from(`${safe.slice(0, -1).join(' ')} :${safe[safe.length - 1]}`);
  let end = Math.min(bytes.length, 510);
  while ((bytes[end] & 0xc0) === 0x80) end--; // back to the first byte of a character we would cut
  return `${bytes.subarray(0, end).toString()}\r\n`;
}

/** Calls `onLine` for each line (LF or CRLF); a line still unfinished after 16 KiB ends the connection. */
function readLines(socket: Socket, onLine: (line: string) => void): void {
  let partial = '';
  socket.setEncoding('utf8'); // a character split across reads is joined; invalid bytes become U+FFFD
  socket.on('data', (chunk: string) => {
    const lines = (partial + chunk).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) onLine(line.endsWith('\r') ? line.slice(0, -1) : line);
    if (partial.length > 16 * 1024) socket.destroy(new Error('a line over 16 KiB'));
  });
}

/** The entry on one ingest line, or why it is refused. */
function parseEntry(line: string): LogEntry | string {
  let entry: Partial<Record<keyof LogEntry, unknown>> | null;
  try { entry = JSON.parse(line); } catch { return 'not JSON'; }
  const { level, service, message } = typeof entry === 'object' ? (entry ?? {}) : {};
  if (typeof level !== 'string' || !LEVELS.includes(level)) return `level must be one of ${LEVELS.join(', ')}`;
  if (typeof service !== 'string' || !SERVICE.test(service)) return 'service must be a name like api or db/pg';
  if (typeof message !== 'string') return 'message must be a string';
  // Log text must not act on IRC clients: \x01 would start a CTCP, \x02, \x03… restyle or hide it.
  return { level, service, message: message.replace(/[\x00-\x09\x0b\x0c\x0e-\x1f\x7f]/g, ' ') };
}
type Hub = { serverName: string; broker: PubSubBroker<LogEntry>; sendQs: BackpressureManager<string> };

/** One connected IRC client: its registration, its channels, and its way out to the socket. */
class IrcClient {
  nick = '*'; // until NICK
  user = '';
  registered = false;
  readonly channels = new Map<string, Subscription<LogEntry>>(); // joining a channel is subscribing
  // A Batcher: what the client is sent in one turn of the event loop (a producer's burst, a JOIN's
  // replies) becomes one chunk in the SendQ and one socket write: one system call instead of hundreds.
  readonly batcher = new Batcher<string>({ maxDelayMs: 0, maxItems: 256, flush: (lines) => this.flush(lines) });
  constructor(readonly hub: Hub, readonly socket: Socket, readonly id: string, readonly host: string) {}
  get mask(): string { return `${this.nick}!${this.user}@${this.host}`; }
  send(...parts: string[]): void { if (!this.batcher.closed) this.batcher.add(frame(...parts)); }
  reply(code: string, ...params: string[]): void { this.send(`:${this.hub.serverName}`, code, this.nick, ...params); }
  say(to: string, text: string): void { this.send(`:${BOT}!${BOT}@${this.hub.serverName}`, 'PRIVMSG', to, text); }

  // The SendQ: a queue bounded in bytes that the socket takes from while not backed up ('drain' calls
  // flush() again; Node's own buffer has no bound). A client that falls that far behind is disconnected
  // ("SendQ exceeded", as IRC servers do) rather than left with holes it cannot see; others never wait.
  flush(lines: string[] = []): void {
    if (lines.length > 0) this.hub.sendQs.push(this.id, lines.join(''));
    let chunk: string | undefined;
    while (!this.socket.writableNeedDrain && (chunk = this.hub.sendQs.shift(this.id)) !== undefined) {
      this.socket.write(chunk);
    }
  }

  async quit(reason: string): Promise<void> {
    if (this.batcher.closed) return;
    for (const subscription of this.channels.values()) subscription.unsubscribe();
    await this.batcher.close({ drain: true }); // it refuses more at once; what was said goes out first
    this.hub.sendQs.delete(this.id); // what a slow client still had waiting is dropped (and counted)
    if (!this.socket.destroyed) this.socket.end(frame('ERROR', `Closing Link: ${this.host} (${reason})`));
    setTimeout(() => this.socket.destroy(), 2000).unref(); // a client that never reads cannot hold it open
  }
}

function welcome(c: IrcClient): void {
  if (c.registered || c.nick === '*' || c.user === '') return;
  c.registered = true;
  c.reply('001', `Welcome to the logcaster IRC network ${c.mask}`);
  c.reply('002', `Your host is ${c.hub.serverName}, running logcaster-minimal`);
  c.reply('003', 'This server was created just now');
  c.reply('004', c.hub.serverName, 'logcaster-minimal', 'i', 'mnt');
  c.reply('005', 'CASEMAPPING=ascii', 'CHANTYPES=#', 'PREFIX=(o)@', 'are supported by this server');
  c.reply('422', 'MOTD File is missing'); // clients take 376 or 422 as "registration is over"
}

/** JOIN, PART or NAMES of one channel. Watchers cannot talk here, so each sees only the bot and itself. */
function channel(c: IrcClient, command: string, wanted: string, reason?: string): void {
  const [name, pattern] = [wanted.toLowerCase(), CHANNELS.get(wanted.toLowerCase())];
  const subscription = c.channels.get(name);
  if (pattern === undefined && command !== 'NAMES') return c.reply('403', wanted, 'No such channel');
  if (command === 'PART') {
    if (subscription === undefined) return c.reply('442', wanted, "You're not on that channel");
    subscription.unsubscribe();
    c.channels.delete(name);
    return c.send(`:${c.mask}`, 'PART', name, ...(reason === undefined ? [] : [reason]));
  }
  if (command === 'JOIN' && subscription !== undefined) return;
  if (command === 'JOIN' && pattern !== undefined) {
    c.channels.set(name, c.hub.broker.subscribe(pattern, ({ level, service, message }) => {
      for (const text of message.split(/\r\n|\r|\n/)) c.say(name, `[${level.toUpperCase()}] ${service}: ${text}`);
    }));
    c.send(`:${c.mask}`, 'JOIN', name);
    c.reply('332', name, `Log entries on ${pattern} (read-only)`);
  }
  if (pattern !== undefined) c.reply('353', '=', name, c.channels.has(name) ? `@${BOT} ${c.nick}` : `@${BOT}`);
  c.reply('366', name, 'End of /NAMES list');
}

// Before registration only these; CAP (IRCv3 capabilities) is not offered: it gets 421, and clients go on.
const BEFORE_REGISTRATION = ['CAP', 'PASS', 'NICK', 'USER', 'PING', 'PONG', 'QUIT'];
function handle(c: IrcClient, line: string, clients: Map<string, IrcClient>): void {
  const [head, ...last] = line.replace(/^(@\S* +)?(:\S* +)?/, '').split(' :'); // tags and a source: ignored
  const params = [...head.split(' ').filter((word) => word !== ''), ...(last.length > 0 ? [last.join(' :')] : [])];
  const command = (params.shift() ?? '').toUpperCase();
  const [first = '', second] = params;
  const [server, lower] = [`:${c.hub.serverName}`, first.toLowerCase()];
  if (command === '' || c.batcher.closed) return;
  if (Buffer.byteLength(line) > 510) return c.reply('417', 'Input line was too long');
  if (!c.registered && !BEFORE_REGISTRATION.includes(command)) return c.reply('451', 'You have not registered');
  if (!first && ['JOIN', 'PART', 'MODE'].includes(command)) return c.reply('461', command, 'Not enough parameters');
  switch (command) {
    case 'NICK': { // taken at once: another client asking for it, even before registering, gets 433
      const holder = [...clients.values()].find((other) => other.nick.toLowerCase() === lower);
      if (!NICK.test(first)) return first ? c.reply('432', first, 'Erroneous nickname') : c.reply('431', 'No nickname');
      if (lower === BOT || (holder ?? c) !== c) return c.reply('433', first, 'Nickname is already in use');
      if (c.registered) c.send(`:${c.mask}`, 'NICK', first);
      c.nick = first;
      return welcome(c);
    }
    case 'USER':
      if (c.registered) return c.reply('462', 'You may not reregister');
      if (params.length < 4 || params[3] === '') return c.reply('461', command, 'Not enough parameters');
      c.user = `~${first.replace(/[^\w.-]/g, '').slice(0, 10) || 'user'}`; // others see it: keep it plain
      return welcome(c);
    case 'PING': return first ? c.send(server, 'PONG', server.slice(1), first) : c.reply('409', 'No origin specified');
    case 'QUIT': return void c.quit(`Quit: ${first}`);
    case 'JOIN': case 'PART': case 'NAMES': return first.split(',').forEach((one) => channel(c, command, one, second));
    case 'MODE': // the channels are read-only (+mnt); no user modes are kept
      if (lower === c.nick.toLowerCase()) return c.reply('221', '+');
      if (!CHANNELS.has(lower)) return c.reply('403', first, 'No such channel');
      if (second === 'b') return c.reply('368', lower, 'End of channel ban list'); // irssi asks for bans
      return second === undefined ? c.reply('324', lower, '+mnt') : c.reply('482', lower, "You're not channel operator");
    case 'WHO': return c.reply('315', first || '*', 'End of WHO list'); // members are not listed (see NAMES)
    case 'PRIVMSG': return c.reply(CHANNELS.has(lower) ? '404' : '401', first, 'Cannot send: logs only, read-only');
    case 'PASS': case 'PONG': case 'NOTICE': return; // no password is set; NOTICE is never answered (no bot loops)
    default: return c.reply('421', command, 'Unknown command');
  }
}

/** Starts both listeners and resolves once they listen. Every option has a default. */
export async function startLogServer({
  ircPort = 6667, ingestPort = 5140, // 0 picks a free port
  host = '127.0.0.1', // loopback: an ingest port open to the world is a spam relay
  producerBurst = 500, producerRatePerSecond = 100, // per producer connection: a burst, then lines per second
  serverName = 'logcaster.local', sendQBytes = 256 * 1024, // a SendQ: what waits while a socket is backed up
} = {}) {
  // One SendQ per client, 1,000 clients at most: nobody can make the server hold unbounded state.
  const sendQs = new BackpressureManager<string>({ maxBytes: sendQBytes, policy: 'disconnect', maxQueues: 1000 });
  // A token bucket per producer connection: a flooding producer is refused (and counted) alone, and
  // refusing beats queueing, which would only move the flood into this process's memory.
  const limiter = new RateLimiter({ capacity: producerBurst, refillPerSecond: producerRatePerSecond });
  const hub: Hub = { serverName, broker: new PubSubBroker<LogEntry>(), sendQs };
  const [clients, producers, counts] = [new Map<string, IrcClient>(), new Set<Socket>(), { malformed: 0 }];
  sendQs.on('overflow', (id) => void clients.get(id)?.quit('SendQ exceeded'));

  const irc = createServer((socket) => {
    const [id, host] = [`${socket.remoteAddress}:${socket.remotePort}`, socket.remoteAddress ?? '?'];
    if (sendQs.size >= 1000) return socket.end(frame('ERROR', `Closing Link: ${host} (Server full)`));
    const client = new IrcClient(hub, socket, id, host);
    sendQs.open(id);
    clients.set(id, client);
    setTimeout(() => { if (!client.registered) void client.quit('Registration timed out'); }, 20_000).unref();
    socket.on('drain', () => client.flush());
    socket.on('error', (error) => void client.quit(error.message));
    socket.on('close', () => void client.quit('Connection closed').then(() => clients.delete(id)));
    readLines(socket, (line) => handle(client, line, clients));
  });

  const ingest = createServer((socket) => {
    const name = `producer ${socket.remoteAddress}:${socket.remotePort}`;
    let refused = 0;
    producers.add(socket);
    readLines(socket, (line) => {
      if (line.trim() === '') return;
      if (!limiter.consume(name).allowed) {
        if (refused++ === 0) console.log(`${name} is over its rate limit: refusing lines (counted)`);
        return;
      }
      const entry = parseEntry(line);
      if (typeof entry !== 'string') hub.broker.publish(`logs/${entry.level}/${entry.service}`, entry);
      else console.log(`${name}: ${entry} (${++counts.malformed} bad lines so far): ${line.slice(0, 80)}`);
    });
    socket.on('error', (error) => console.log(`${name}: ${error.message}`));
    socket.on('close', () => { producers.delete(socket); limiter.delete(name); });
  });

  await Promise.all([once(irc.listen(ircPort, host), 'listening'), once(ingest.listen(ingestPort, host), 'listening')]);
  return {
    ircPort: (irc.address() as AddressInfo).port,
    ingestPort: (ingest.address() as AddressInfo).port,
    stats: () => ({ published: hub.broker.stats().published, ...counts, limited: limiter.stats().limited,
      sendQDropped: sendQs.stats().dropped, clients: clients.size }),
    async close(): Promise<void> {
      irc.close();
      ingest.close();
      for (const socket of producers) socket.destroy();
      await Promise.all([...clients.values()].map((client) => client.quit('Server shutting down')));
      await hub.broker.close();
      sendQs.close();
    },
  };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const flag = (fallback: string) => ({ type: 'string', default: fallback }) as const;
  const options = { 'irc-port': flag('6667'), 'ingest-port': flag('5140'), host: flag('127.0.0.1') };
  const { 'irc-port': ircPort, 'ingest-port': ingestPort, host } = parseArgs({ options }).values;
  const server = await startLogServer({ ircPort: Number(ircPort), ingestPort: Number(ingestPort), host });
  console.log(`IRC on ${host}:${server.ircPort}: irssi -c ${host} -p ${server.ircPort}, then /join #logs-all`);
  const entry = '{"level":"error","service":"api","message":"disk full"}';
  console.log(`ingest on ${host}:${server.ingestPort}: printf '${entry}\\n' | nc -q1 ${host} ${server.ingestPort}`);
  const stop = (): void => void server.close().then(() => console.log('stopped:', server.stats()));
  process.once('SIGINT', stop).once('SIGTERM', stop).once('disconnect', stop); // disconnect: our parent is gone
}
