/**
 * The hook an adapter uses to carry a broker's own publishes elsewhere (another process,
 * through Redis or NATS), so that plain `broker.publish` reaches every node; and the handle
 * through which an adapter that also carries queue groups delivers their messages.
 *
 * @module
 */

/**
 * Sees every message published on a broker by local code: `publish` and `publishAsync`,
 * not `publishLocal`. The bridges attach one with {@link PubSubBroker.setPublishTap}
 * and deliver what they receive from other nodes with `publishLocal`, so nothing echoes.
 *
 * @typeParam T - the message type.
 */
export interface PublishTap<T> {
  /**
   * Called once per accepted publish (open broker, valid topic, within `maxPublishDepth`),
   * before local delivery. It may throw for a message it cannot carry (a codec that cannot
   * encode it): the publish then throws and delivers nothing. It must not throw otherwise,
   * and must not block: it queues the message and returns.
   */
  tapped(topic: string, message: T): void;
  /**
   * Optional: a tap that has this method takes the broker's queue groups across processes
   * (as `NatsBridge` does with NATS queue subscriptions). `setPublishTap` calls it once with
   * the handle to deliver through. While the tap is attached, `publish` gives its message to
   * this process's plain subscribers only, never to a local group: the tap must carry it to
   * one member cluster-wide and deliver it with {@link GroupDelivery.deliverToGroup} on the
   * node that was picked (this one included), and deliver what other processes publish with
   * {@link GroupDelivery.publishUngrouped}. `publishLocal` still delivers to local groups.
   * Without this method, groups stay per process.
   */
  carryGroups?(groups: GroupDelivery<T>): void;
}

/**
 * What a broker hands to a {@link PublishTap} that carries its queue groups: delivery into
 * this broker that keeps the groups' exactly-one-member rule across processes. Valid while
 * the tap is attached; after it is detached its calls deliver nothing (0, `false`).
 *
 * @typeParam T - the message type.
 */
export interface GroupDelivery<T> {
  /**
   * Delivers a message another process published to this process's subscribers except
   * queue-group members (they get their share through {@link GroupDelivery.deliverToGroup}).
   * Not handed to the tap.
   *
   * @returns how many subscribers took it.
   * @throws `TopicError` for an invalid topic, `ClosedError` after `close()`.
   */
  publishUngrouped(topic: string, message: T): number;
  /**
   * Delivers a message to one member of the queue group `group` on `pattern` (picked as
   * `publish` picks), if this process has a live member and `pattern` matches `topic`.
   *
   * @returns `true` when a member was offered it (its queue may still refuse it: a drop the
   * broker counts for that subscriber); `false` when the group has no live member here (its
   * last one left while the message travelled) or `pattern` does not match `topic`.
   * @throws `TopicError` for an invalid topic, `ClosedError` after `close()`.
   */
  deliverToGroup(group: string, pattern: string, topic: string, message: T): boolean;
}
