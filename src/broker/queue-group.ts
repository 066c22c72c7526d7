/**
 * A queue group: subscribers that share the work of one pattern, each message going to one
 * of them (like NATS queue groups or MQTT shared subscriptions).
 *
 * @module
 */

/** What a group needs to know of a member: whether it is live and how busy it is. */
export interface GroupMember {
  readonly live: boolean;
  readonly pending: number;
}

/** @internal */
export class QueueGroup<M extends GroupMember> {
  readonly members: M[] = [];
  private cursor = 0;

  constructor(
    /** The group's name as given to `subscribe`. */
    readonly name: string,
    /** The key the broker files the group under (name and pattern). */
    readonly key: string,
    /** Stands for the whole group in the broker's trie and snapshots. */
    readonly representative: M,
  ) {}

  get size(): number {
    return this.members.length;
  }

  add(member: M): void {
    this.members.push(member);
  }

  remove(member: M): boolean {
    const index = this.members.indexOf(member);
    if (index < 0) return false;
    this.members.splice(index, 1);
    if (this.cursor > index) this.cursor--;
    return true;
  }

  /**
   * The live member with the fewest pending messages; among equals, the next one after the
   * previous pick (round-robin). A member with nothing pending is taken at once, so groups of
   * plain (unqueued) handlers cost O(1) per message.
   */
  pick(): M | undefined {
    const members = this.members;
    const count = members.length;
    let best: M | undefined;
    let bestIndex = 0;
    let bestPending = Infinity;
    for (let step = 0; step < count; step++) {
      const index = (this.cursor + step) % count;
      const member = members[index];
      if (!member.live) continue;
      const pending = member.pending;
      if (pending < bestPending) {
        best = member;
        bestIndex = index;
        bestPending = pending;
        if (pending === 0) break;
      }
    }
    if (best !== undefined) this.cursor = (bestIndex + 1) % count;
    return best;
  }
}
