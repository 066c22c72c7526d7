// Two processes sharing one broker's messages over Redis, with `RedisBridge` (Pub/Sub).
//
// Shows: each process has its own `PubSubBroker` and a `RedisBridge` over two ioredis
// connections. `broker.subscribe` works as usual: the bridge follows it and subscribes to
// the Redis channels needed. `bridge.publish` delivers here and in every other process, once
// (a process skips its own echo). This process (A) forks the second one (B) itself.
//
// Watch: each process prints every greeting exactly once: its own (local) and the other's
// (over Redis). A greets B, B answers, then both close and exit.
//
// Needs a Redis server; this example starts none. It uses REDIS_URL, or redis://127.0.0.1:6379:
//   redis-server --port 6379 --save '' --appendonly no    (Debian/Ubuntu: apt-get install redis-server)
// Run: npm run example -- redis-two-processes   (or: npx tsx examples/redis-two-processes.ts)

import { fork } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { PubSubBroker } from 'logcaster';
import { RedisBridge } from 'logcaster/redis';

type Greeting = { pid: number; text: string };

const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const isB = process.argv[2] === '--second';
const prefix = isB ? (process.argv[3] ?? 'logcaster-example') : `logcaster-example-${process.pid}`; // A's run only
const say = (text: string): void => console.log(`[${isB ? 'B' : 'A'} pid ${process.pid}] ${text}`);

const publisher = new Redis(url, { lazyConnect: true });
const subscriber = publisher.duplicate(); // a subscribed connection can do nothing else
const broker = new PubSubBroker<Greeting>();
const bridge = new RedisBridge(broker, { publisher, subscriber, prefix });
bridge.on('error', (error) => say(`bridge error: ${String(error)}`));
if (isB) process.once('disconnect', () => void stop(0)); // B ends with A, whenever A goes

async function stop(code: number): Promise<never> {
  await bridge.close();
  for (const client of [publisher, subscriber]) client.disconnect();
  process.exit(code);
}

let refused: unknown; // ioredis rejects connect() with 'Connection is closed'; its 'error' event says why
publisher.once('error', (error) => (refused ??= error));
try {
  await Promise.all([publisher.connect(), subscriber.connect()]);
} catch (error) {
  console.error(`Cannot reach Redis at ${url}: ${String(refused ?? error)}`);
  console.error(`Start one with: redis-server --port 6379 --save '' --appendonly no   (or set REDIS_URL)`);
  await stop(1);
}

const heard = new Promise<Greeting>((resolve) => {
  broker.subscribe('greetings/#', (greeting, topic) => {
    const local = greeting.pid === process.pid;
    say(`got ${topic}: "${greeting.text}" (${local ? 'local' : 'over Redis'})`);
    if (!local) resolve(greeting);
  });
});
await bridge.ready(); // Redis has acknowledged the subscription: nothing sent from now on is missed

if (isB) {
  process.send?.('ready');
  await heard;
  bridge.publish('greetings/from-b', { pid: process.pid, text: 'hello back from B' });
} else {
  const b = fork(fileURLToPath(import.meta.url), ['--second', prefix], { stdio: 'inherit' });
  const timer = setTimeout(() => {
    say('no answer from B within 10 s: giving up');
    b.kill();
    void stop(1);
  }, 10_000);
  const [ready] = await Promise.race([once(b, 'message'), once(b, 'exit').then(() => ['exited'])]);
  if (ready !== 'ready') await stop(1);
  bridge.publish('greetings/from-a', { pid: process.pid, text: 'hello from A' });
  await heard;
  clearTimeout(timer);
  b.disconnect(); // B closes its bridge and exits
  say(`B exited with code ${String((await once(b, 'exit'))[0])}`);
  await stop(0);
}
