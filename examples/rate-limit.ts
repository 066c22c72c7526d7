// A rate-limited producer per key, with `RateLimiter`.
//
// Shows: one token bucket per key (here per producer), created on first use: a burst of
// `initialTokens`, then `refillPerSecond`, never more than `capacity` saved up. `configure`
// gives one key its own limit. A refused line gets `retryAfterMs` and is never published.
//
// The limiter's clock is injected (`now`), so one simulated second runs instantly and prints
// the same numbers every time; leave `now` out in a real service.
//
// Watch: `api` floods 10 lines per 50 ms: it gets its burst of 10, then 20 per second, and is
// refused the rest. `cron` sends 1 line per 50 ms (20/s, within the refill): nothing refused.
// `payments` floods like `api` but has its own, larger limit: nothing refused either.
//
// Run: npm run example -- rate-limit   (or: npx tsx examples/rate-limit.ts)

import { PubSubBroker, RateLimiter } from 'logcaster';

let clock = 0; // milliseconds of simulated time
const limiter = new RateLimiter({ capacity: 10, refillPerSecond: 20, initialTokens: 10, now: () => clock });
limiter.configure('payments', { capacity: 500, refillPerSecond: 500, initialTokens: 500 });

const broker = new PubSubBroker<string>();
const received = new Map<string, number>();
broker.subscribe('logs/*', (_line, topic) => received.set(topic, (received.get(topic) ?? 0) + 1));

const linesPerTick: Record<string, number> = { api: 10, cron: 1, payments: 10 };
const refused = new Map<string, number>();

/** A producer's send: publishes only what its key's bucket allows. */
function send(producer: string, line: string): void {
  const { allowed, retryAfterMs } = limiter.consume(producer);
  if (allowed) {
    broker.publish(`logs/${producer}`, line);
    return;
  }
  if (!refused.has(producer)) {
    console.log(`t=${clock} ms: ${producer} refused for the first time, retry in ${retryAfterMs.toFixed(0)} ms`);
  }
  refused.set(producer, (refused.get(producer) ?? 0) + 1);
}

// One simulated second: 20 ticks of 50 ms.
for (let tick = 0; tick < 20; tick++, clock += 50) {
  for (const [producer, lines] of Object.entries(linesPerTick)) {
    for (let i = 0; i < lines; i++) send(producer, `${producer} line ${tick}.${i}`);
  }
}

for (const [producer, lines] of Object.entries(linesPerTick)) {
  const sent = lines * 20;
  console.log(`${producer.padEnd(8)} sent ${sent}, published ${received.get(`logs/${producer}`) ?? 0}, refused ${refused.get(producer) ?? 0}`);
}
const { allowed, limited, keys } = limiter.stats();
console.log(`limiter: ${allowed} allowed, ${limited} limited, ${keys} keys tracked`);
await broker.close();
