/**
 * A test's IRC network: servers started in-process on free ports and irc-framework users on
 * them, all closed after each test (users first, so their QUITs reach a live server).
 */
import { afterEach } from 'vitest';
import { startServer, type RunningServer } from '../server.js';
import { IrcUser } from './irc-user.js';

/** Starts servers and users for one test file; everything is closed after each test. */
export function ircNetwork(): {
  start: (now?: () => number) => Promise<RunningServer>;
  user: (server: RunningServer, nick: string, options?: Record<string, unknown>) => Promise<IrcUser>;
} {
  const running: RunningServer[] = [];
  const users: IrcUser[] = [];
  afterEach(async () => {
    await Promise.all(users.splice(0).map((user) => user.quit()));
    await Promise.all(running.splice(0).map((server) => server.close()));
  });
  return {
    async start(now) {
      const server = await startServer({ serverName: 'test.local', ircPort: 0, ingestPort: null, demo: false, colour: false, ...(now ? { now } : {}) });
      running.push(server);
      return server;
    },
    async user(server, nick, options = {}) {
      const made = await IrcUser.connect(server.ircPort, nick, options);
      users.push(made);
      return made;
    },
  };
}
