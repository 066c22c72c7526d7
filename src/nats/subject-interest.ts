/**
 * Which NATS subjects a node needs, from its broker's subscriptions, reference-counted; and
 * the smallest set that covers them (a subject another one covers adds nothing but copies).
 * Queue-group members need queue subscriptions instead ({@link GroupInterest}): the plain
 * subjects serve the plain subscribers only.
 *
 * @module
 */
import type { Subscription } from 'logcaster';
import type { Interest } from '../bridge/bridge-base.js';
import { GroupInterest } from './group-interest.js';
import { subjectCovers, type SubjectMap } from './subject-map.js';

/** Counts, per subject, the live plain subscriptions that need it; and the queue groups. */
export class SubjectInterest<T> implements Interest<T> {
  /** The queue groups with members here. */
  readonly groups: GroupInterest<T>;
  private readonly counts = new Map<string, number>();
  private readonly tracked = new Map<Subscription<T>, string[]>();

  constructor(private readonly map: SubjectMap) {
    this.groups = new GroupInterest(map);
  }

  add(sub: Subscription<T>): boolean {
    if (!sub.active) return false;
    const group = sub.group;
    if (group !== undefined) return this.groups.add(sub, group);
    if (this.tracked.has(sub)) return false;
    const subjects = this.map.subjectsOf(sub.pattern);
    this.tracked.set(sub, subjects);
    let changed = false;
    for (const subject of subjects) {
      const count = (this.counts.get(subject) ?? 0) + 1;
      this.counts.set(subject, count);
      if (count === 1) changed = true;
    }
    return changed;
  }

  remove(sub: Subscription<T>): boolean {
    if (sub.group !== undefined) return this.groups.remove(sub);
    const subjects = this.tracked.get(sub);
    if (subjects === undefined) return false;
    this.tracked.delete(sub);
    let changed = false;
    for (const subject of subjects) {
      const count = (this.counts.get(subject) ?? 1) - 1;
      if (count > 0) {
        this.counts.set(subject, count);
      } else {
        this.counts.delete(subject);
        changed = true;
      }
    }
    return changed;
  }

  clear(): void {
    this.tracked.clear();
    this.counts.clear();
    this.groups.clear();
  }

  /**
   * The subjects to subscribe to: every needed subject that no other needed subject covers
   * (of two that cover each other, which can only be equal ones, the one set once).
   */
  cover(): Set<string> {
    const needed = [...this.counts.keys()];
    const out = new Set<string>();
    for (const subject of needed) {
      let covered = false;
      for (const other of needed) {
        if (other !== subject && subjectCovers(other, subject)) {
          covered = true;
          break;
        }
      }
      if (!covered) out.add(subject);
    }
    return out;
  }
}
