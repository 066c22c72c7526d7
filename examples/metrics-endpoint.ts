// A `/metrics` endpoint in the Prometheus text format, from `BroadcastMetrics`.
//
// Shows: `new BroadcastMetrics(broker)` observes the broker (published, delivered, dropped by
// reason, pending, latency summaries per subscription pattern) and `toPrometheus()` renders
// it; a plain node:http server on 127.0.0.1 serves it at /metrics. The example scrapes its
// own endpoint once, as Prometheus would, prints the scrape, and stops.
//
// Watch: logcaster_published_total is 100; the slow `logs/*/ERROR` subscriber shows up in
// logcaster_dropped_total{pattern="logs/*/ERROR",reason="drop-newest"}, while `logs/#`
// has no drop line at all; the delivery_*_seconds summaries give latency quantiles.
//
// Run: npm run example -- metrics-endpoint [port]   (or: npx tsx examples/metrics-endpoint.ts [port])
// The port defaults to 0 (any free one); the address is printed.

import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { BroadcastMetrics, PubSubBroker } from 'logcaster';

const broker = new PubSubBroker<string>();
const metrics = new BroadcastMetrics(broker, { sampleEvery: 1 });

broker.subscribe('logs/#', () => undefined);
broker.subscribe('logs/*/ERROR', () => sleep(20), { queue: { maxItems: 5, lowWaterItems: 1 } });
for (let n = 0; n < 100; n++) broker.publish(`logs/api/${n % 2 === 0 ? 'ERROR' : 'INFO'}`, `line ${n}`);
await sleep(50); // let the slow subscriber handle a couple of its queued messages

const server = createServer((request, response) => {
  if (request.method !== 'GET' || request.url !== '/metrics') {
    response.writeHead(404).end('try GET /metrics\n');
    return;
  }
  response.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' });
  response.end(metrics.toPrometheus());
});
const port = Number(process.argv[2] ?? 0);
await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`;
console.log(`serving ${url}`);

// One scrape, then stop: a real service would leave the server running for Prometheus.
const scrape = await fetch(url);
console.log(`GET /metrics -> ${scrape.status} ${scrape.headers.get('content-type') ?? ''}`);
console.log('--- scrape ---');
console.log((await scrape.text()).trimEnd());
console.log('--- end ---');

await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
metrics.close();
await broker.close();
