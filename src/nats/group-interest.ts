/**
 * Which NATS queue subscriptions a node needs for its broker's queue groups: one set per
 * group (a name on a pattern) with a member here, reference-counted by members.
 *
 * @module
 */
import type { Subscription } from 'logcaster';
import { queueSubjectsOf, type QueueSubject, type SubjectMap } from './subject-map.js';

/** A queue subscription to hold, and the group its shares go to. */
export interface GroupShare extends QueueSubject {
  /** The group's name, as given to `subscribe`. */
  readonly group: string;
  /** The group's pattern. */
  readonly pattern: string;
}

/** A group with members here. */
interface GroupEntry {
  members: number;
  readonly shares: readonly GroupShare[];
}

/** Counts the live members of each queue group. */
export class GroupInterest<T> {
  /** By the group's key (name and pattern). */
  private readonly groups = new Map<string, GroupEntry>();
  private readonly tracked = new Map<Subscription<T>, string>();

  constructor(private readonly map: SubjectMap) {}

  /** Counts a member of `group`; `true` when it is the group's first here. */
  add(sub: Subscription<T>, group: string): boolean {
    if (this.tracked.has(sub)) return false;
    const key = `${group}\u0000${sub.pattern}`;
    this.tracked.set(sub, key);
    const entry = this.groups.get(key);
    if (entry !== undefined) {
      entry.members++;
      return false;
    }
    const shares = queueSubjectsOf(this.map, group, sub.pattern).map((q) => ({ ...q, group, pattern: sub.pattern }));
    this.groups.set(key, { members: 1, shares });
    return true;
  }

  /** Forgets a member that left; `true` when it was the group's last here. */
  remove(sub: Subscription<T>): boolean {
    const key = this.tracked.get(sub);
    if (key === undefined) return false;
    this.tracked.delete(sub);
    const entry = this.groups.get(key);
    if (entry === undefined || --entry.members > 0) return false;
    this.groups.delete(key);
    return true;
  }

  clear(): void {
    this.tracked.clear();
    this.groups.clear();
  }

  /** The queue subscriptions to hold, by a key naming the subject and the queue. */
  wanted(): Map<string, GroupShare> {
    const out = new Map<string, GroupShare>();
    for (const { shares } of this.groups.values()) for (const share of shares) out.set(`${share.queue} ${share.subject}`, share);
    return out;
  }
}
