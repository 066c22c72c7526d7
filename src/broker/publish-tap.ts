/**
 * The hook an adapter uses to carry a broker's own publishes elsewhere (another process,
 * through Redis), so that plain `broker.publish` reaches every node.
 *
 * @module
 */

/**
 * Sees every message published on a broker by local code: `publish` and `publishAsync`,
 * not `publishLocal`. The Redis bridges attach one with {@link PubSubBroker.setPublishTap}
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
}
