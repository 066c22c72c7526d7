/**
 * logcaster: real-time broadcasting for Node.js.
 *
 * @packageDocumentation
 */
export { PubSubBroker, type BrokerOptions, type BrokerStats, type BrokerEvents, type SubscribeOptions } from './broker.js';
export { Subscription, type Handler, type UnsubscribeReason } from './subscription.js';
export { TopicTrie, type TopicTrieOptions } from './topic-trie.js';
export {
  TopicError,
  DEFAULT_TOPIC_SYNTAX,
  resolveTopicSyntax,
  parsePattern,
  parseTopic,
  type TopicErrorCode,
  type TopicOptions,
  type TopicSyntax,
} from './topic.js';
export { BrokerClosedError } from './errors.js';
export { Router, type RouteRule } from './router.js';
