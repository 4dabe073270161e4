/**
 * What the metrics add to each request, in process: marking the route, begin and end (count,
 * latency histogram, bytes) on the server's RegistryMetrics, against the same three series
 * kept with prom-client's labelled Counter/Histogram children (the straightforward way), in
 * the same run. The HTTP benches are too noisy on a shared machine to show a difference this
 * small; this shows it per request.
 *
 *   npm run bench:metrics-overhead [-- --quick]
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Counter, Histogram, Registry } from 'prom-client';
import { RegistryMetrics } from '../src/metrics/registry-metrics.js';
import { markRoute } from '../src/metrics/request-marks.js';
import { LATENCY_BUCKETS } from '../src/metrics/request-series.js';
import { report, scriptFlags } from './lib/script.js';
import { median, ratio, type Figure } from './lib/stats.js';

const flags = scriptFlags();
const N = flags.quick ? 200_000 : 1_000_000;
const ROUNDS = flags.quick ? 3 : 5;
const ROUTES = ['/v1/packages/{name}', '/v1/packages/{name}/{version}/{target}', '/v1/search'];

const socket = { bytesWritten: 0 };
const requests = Array.from({ length: 64 }, (_, i) => ({ method: 'GET', url: `/v1/packages/a%2Fb${i}`, socket }) as unknown as IncomingMessage);
const answer = { statusCode: 200 } as ServerResponse;

function nsPerRequest(run: (req: IncomingMessage, i: number, started: bigint) => void): number {
  const samples: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const started = process.hrtime.bigint();
    for (let i = 0; i < N; i++) run(requests[i & 63]!, i, started);
    samples.push(Number(process.hrtime.bigint() - started) / N);
  }
  return median(samples);
}

const metrics = new RegistryMetrics({ state: () => ({ packages: new Map() }) as never, refreshedAt: () => new Date(), commitTime: async () => null });
const ours = nsPerRequest((req, i, started) => {
  markRoute(req, ROUTES[i % 3]!);
  socket.bytesWritten += 500;
  metrics.begin();
  metrics.end(req, answer, started);
});

const registry = new Registry();
const counter = new Counter({ name: 'r', help: 'r', labelNames: ['route', 'method', 'status'], registers: [registry] });
const histogram = new Histogram({ name: 'd', help: 'd', labelNames: ['route', 'method'], buckets: LATENCY_BUCKETS, registers: [registry] });
const bytes = new Counter({ name: 'b', help: 'b', labelNames: ['route'], registers: [registry] });
const children = ROUTES.map((route) => ({ count: counter.labels(route, 'GET', '200'), latency: histogram.labels(route, 'GET'), bytes: bytes.labels(route) }));
const naive = nsPerRequest((_req, i, started) => {
  const c = children[i % 3]!;
  c.count.inc();
  c.latency.observe(Number(process.hrtime.bigint() - started) / 1e9);
  c.bytes.inc(500);
});

const figures: Figure[] = [
  { name: 'metrics per request: route mark + begin + end', value: `${ours.toFixed(0)} ns`, target: '', met: null },
  { name: 'baseline: prom-client labelled children (count, histogram, bytes)', value: `${naive.toFixed(0)} ns`, target: '', met: null },
  { name: 'ours / prom-client children', value: ratio(ours / naive), target: '<= 0.5', met: ours / naive <= 0.5 },
];
report('Metrics overhead per request', flags, `${N.toLocaleString('en-US')} requests per round, median of ${ROUNDS} rounds, in process.`, figures);
