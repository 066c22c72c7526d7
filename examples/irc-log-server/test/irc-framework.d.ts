// The part of irc-framework (which ships no types) that the tests use.
declare module 'irc-framework' {
  interface ConnectOptions {
    host: string;
    port: number;
    nick: string;
    username?: string;
    gecos?: string;
    password?: string;
    auto_reconnect?: boolean;
    ping_interval?: number;
    ping_timeout?: number;
    enable_echomessage?: boolean;
  }

  interface MessageEvent {
    nick: string;
    ident: string;
    hostname: string;
    target: string;
    message: string;
    /** Milliseconds from the `@time` tag, when the server sent one. */
    time: number | undefined;
    tags: Record<string, string>;
    /** Set when the message came inside an IRCv3 BATCH. */
    batch?: { id: string; type: string; params: string[] };
  }

  interface ChannelEvent {
    nick: string;
    channel: string;
    message?: string;
  }

  interface TopicEvent {
    channel: string;
    topic: string;
  }

  interface UserlistEvent {
    channel: string;
    users: { nick: string; modes: string[] }[];
  }

  interface IrcErrorEvent {
    error: string;
    channel?: string;
    reason: string;
  }

  interface RawEvent {
    line: string;
    from_server: boolean;
  }

  class Client {
    constructor(options?: Record<string, unknown>);
    connect(options: ConnectOptions): void;
    join(channel: string): void;
    part(channel: string, message?: string): void;
    say(target: string, message: string): void;
    quit(message?: string): void;
    raw(line: string): void;
    readonly connected: boolean;
    readonly user: { nick: string };
    readonly network: { cap: { enabled: string[] } };
    on(event: 'registered', listener: () => void): this;
    on(event: 'privmsg' | 'notice', listener: (event: MessageEvent) => void): this;
    on(event: 'join' | 'part', listener: (event: ChannelEvent) => void): this;
    on(event: 'topic', listener: (event: TopicEvent) => void): this;
    on(event: 'userlist', listener: (event: UserlistEvent) => void): this;
    on(event: 'irc error', listener: (event: IrcErrorEvent) => void): this;
    on(event: 'raw', listener: (event: RawEvent) => void): this;
    on(event: 'close' | 'socket close', listener: () => void): this;
    once(event: 'registered', listener: () => void): this;
    once(event: 'close' | 'socket close', listener: () => void): this;
  }
}
