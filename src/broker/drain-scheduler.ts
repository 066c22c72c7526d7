/**
 * Runs the queued subscribers that have work, all in one turn of the event loop.
 *
 * @module
 */

/** @internal Something with queued work to run once per turn. */
export interface Drainable {
  drain(): void;
}

/**
 * One `setImmediate` per turn for all of a broker's queued subscribers with work, instead of
 * one per subscriber: a publish to 1,000 queued subscribers schedules one callback, not 1,000
 * (each of which Node allocates, links and runs with its own bookkeeping). Order is the order
 * in which subscribers got work; what one adds while the turn runs waits for the next turn,
 * so a subscriber that keeps itself busy cannot starve I/O. Each `drain` handles its own
 * handler errors; should one still throw, the rest of the turn is kept for the next.
 *
 * @internal
 */
export class DrainScheduler {
  private ready: Drainable[] = [];
  private spare: Drainable[] = [];
  private armed = false;
  private readonly run = (): void => this.runTurn();

  /** Runs `consumer.drain()` on the next turn (the caller makes sure it is not queued twice). */
  add(consumer: Drainable): void {
    this.ready.push(consumer);
    if (!this.armed) {
      this.armed = true;
      setImmediate(this.run);
    }
  }

  private runTurn(): void {
    this.armed = false;
    const turn = this.ready;
    // Swapped, not reallocated: drains scheduled from this turn go to the next.
    this.ready = this.spare;
    let i = 0;
    try {
      for (; i < turn.length; i++) turn[i].drain();
    } finally {
      for (i++; i < turn.length; i++) this.add(turn[i]);
      turn.length = 0;
      this.spare = turn;
    }
  }
}
