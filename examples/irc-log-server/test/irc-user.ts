/**
 * A test user: an irc-framework client (it negotiates caps and registers as real clients
 * do) whose every line from the server is recorded, so tests check the exact numerics the
 * specs name. `barrier()` uses PING: everything before the PONG is what the commands sent.
 */
import { Client as IrcClient } from 'irc-framework';
import { parseMessage, type IrcMessage } from '../irc/message.js';

let tokens = 0;

export class IrcUser {
  readonly irc: IrcClient;
  /** Every line the server sent, without line endings. */
  readonly lines: string[] = [];
  private cursor = 0;
  private waiters: { match: (line: string) => boolean; resolve: (line: string) => void }[] = [];

  private constructor(irc: IrcClient) {
    this.irc = irc;
    irc.on('raw', (event) => {
      if (!event.from_server) return;
      const line = event.line.replace(/\r?\n$/, '');
      this.lines.push(line);
      this.waiters = this.waiters.filter((waiter) => {
        if (!waiter.match(line)) return true;
        waiter.resolve(line);
        return false;
      });
    });
  }

  /** Connects and registers `nick`; `options` go to irc-framework (e.g. `enable_echomessage`). */
  static async connect(port: number, nick: string, options: Record<string, unknown> = {}): Promise<IrcUser> {
    const irc = new IrcClient(options);
    const user = new IrcUser(irc);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${nick}: not registered in time; got ${user.lines.slice(-5).join(' | ')}`)), 5000);
      irc.once('registered', () => {
        clearTimeout(timer);
        resolve();
      });
      irc.once('close', () => reject(new Error(`${nick}: closed before registering; got ${user.lines.slice(-5).join(' | ')}`)));
      irc.connect({ host: '127.0.0.1', port, nick, username: nick, gecos: `Test ${nick}`, auto_reconnect: false, ping_interval: 0, ...options });
    });
    await user.barrier();
    return user;
  }

  /** Sends raw lines. */
  send(...lines: string[]): void {
    for (const line of lines) this.irc.raw(line);
  }

  /** Resolves with the first line received (ever, or from now on) matching `pattern`. */
  waitFor(pattern: RegExp, timeoutMs = 5000): Promise<string> {
    const seen = this.lines.find((line) => pattern.test(line));
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no line matching ${pattern}; last: ${this.lines.slice(-8).join(' | ')}`)), timeoutMs);
      this.waiters.push({
        match: (line) => pattern.test(line),
        resolve: (line) => {
          clearTimeout(timer);
          resolve(line);
        },
      });
    });
  }

  /** Every line since the previous barrier, up to the PONG of a fresh PING (excluded). */
  async barrier(): Promise<string[]> {
    const token = `barrier${++tokens}`;
    this.irc.raw(`PING ${token}`);
    await this.waitFor(new RegExp(`PONG \\S+ :?${token}$`));
    const end = this.lines.findIndex((line, i) => i >= this.cursor && line.endsWith(token) && line.includes('PONG'));
    const got = this.lines.slice(this.cursor, end);
    this.cursor = end + 1;
    return got;
  }

  /** Lines since the last barrier, parsed, keeping only `commands`. */
  static only(lines: string[], ...commands: string[]): IrcMessage[] {
    const out: IrcMessage[] = [];
    for (const line of lines) {
      const message = parseMessage(line);
      if (message !== undefined && commands.includes(message.command)) out.push(message);
    }
    return out;
  }

  /** Quits and waits for the socket to close. */
  quit(): Promise<void> {
    if (!this.irc.connected) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, 2000);
      this.irc.once('socket close', () => {
        clearTimeout(timer);
        resolve();
      });
      this.irc.quit('done');
    });
  }
}

/** `command param…` of each line, source and tags left out: compact expectations. */
export function summary(lines: string[]): string[] {
  const out: string[] = [];
  for (const line of lines) {
    const message = parseMessage(line);
    if (message !== undefined) out.push([message.command, ...message.params].join(' '));
  }
  return out;
}
