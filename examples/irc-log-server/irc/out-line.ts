/**
 * What goes out: an encoded line shared by every client that receives it, and its drop
 * priority in the client's SendQ.
 *
 * @module
 */

/** A line ready for the socket, shared by every client that receives it. */
export interface OutLine {
  /** The encoded line, CRLF included. */
  readonly bytes: Buffer;
  /** Drop priority: higher is kept longer; >= {@link PROTECTED_PRIORITY} is never dropped. */
  readonly priority: number;
}

/**
 * Lines with this priority or more are never dropped from a SendQ. Priorities share the log
 * levels' scale (TRACE 0 … FATAL 7, see `logs/level.ts`; a test keeps the two in step), so
 * ERROR-and-above log lines and protocol replies are protected.
 */
export const PROTECTED_PRIORITY = 5;
/** Priority of protocol replies (numerics, PONG, JOIN echoes): protected. */
export const REPLY_PRIORITY = 100;
/** Priority of chat relayed between users: as WARNING, kept over TRACE–NOTICE log lines, droppable. */
export const CHAT_PRIORITY = 4;
