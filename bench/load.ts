/**
 * A bounded load run: 100,000 requests at 128 connections against `pesde-registry serve`
 * (its own process, loopback only), mixing package metadata, `latest/any`, version
 * lookups, search and archive downloads from file storage. Reports errors (must be 0),
 * requests per second, latency percentiles, and the server's resident memory sampled over
 * the run (after 25, 50, 75 and 100% of the requests, and every second), to show it stops
 * growing.
 *
 * The index is the real 780-package fixture plus 120 packages (240 versions, ~16 KB
 * archives, README and a doc page each) published beforehand through the real pipeline.
 *
 *   node --import tsx bench/load.ts [--quick]
 */
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import path from 'node:path';
import { openLocalIndex } from '../src/index-repo/local-index.js';
import { publishPackage } from '../src/publish.js';
import { FsStorage } from '../src/storage/fs-storage.js';
import { buildPackage } from '../test/helpers/package-fixture.js';
import { fixtureCopy, git } from './lib/indexes.js';
import { OUT_DIR } from './lib/paths.js';
import { startRegistry } from './lib/processes.js';
import { report, scriptFlags } from './lib/script.js';
import { mb, ms, percentile, perSecond, type Figure } from './lib/stats.js';
import { seededRandom } from '../test/helpers/seeded-random.js';

const CONNECTIONS = 128;
const PACKAGES = 120;
const VERSIONS = ['1.0.0', '1.1.0'];
/** distinct request paths each connection cycles through (in a seeded random order) */
const MIX_SIZE = 1000;

interface AutocannonInstance {
  on(event: 'response', listener: (client: unknown, statusCode: number, resBytes: number, responseTime: number) => void): void;
}
interface AutocannonResult {
  requests: { total: number; average: number };
  latency: { p50: number; p90: number; p99: number; max: number; average: number };
  throughput: { total: number };
  errors: number;
  timeouts: number;
  non2xx: number;
  duration: number;
  statusCodeStats?: Record<string, { count: number }>;
}
type Autocannon = (
  opts: { url: string; connections: number; amount: number; requests: Array<{ method: string; path: string }>; headers?: Record<string, string>; timeout?: number },
  done: (error: Error | null, result: AutocannonResult) => void,
) => AutocannonInstance;
// CommonJS without type declarations, as in lib/load.ts
const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

const flags = scriptFlags();
const TOTAL = flags.quick ? 10_000 : 100_000;
const work = path.join(OUT_DIR, 'load');
const { clone } = await fixtureCopy(work);
const storageRoot = path.join(work, 'storage');

// --- packages published beforehand, through the same pipeline as `publish` --------------
const publishStarted = performance.now();
const opened = await openLocalIndex(clone, { requireRemote: true });
// committed locally and pushed once at the end: 240 pushes would only slow the set-up down
const ctx = { index: { ...opened, remote: null }, storage: new FsStorage(storageRoot), ownIndexUrls: [] };
const published: Array<{ name: string; version: string }> = [];
for (let i = 0; i < PACKAGES; i++) {
  const name = `load/pkg_${i}`;
  for (const version of VERSIONS) {
    // base64 of random bytes compresses to about 3/4: archives of roughly 16 KB
    const payload = randomBytes(15_000).toString('base64');
    const archive = await buildPackage({
      name,
      version,
      description: `Load test package ${i}`,
      files: { 'README.md': `# pkg_${i}\n\nA package for the load run.\n`, 'docs/intro.md': `# Intro\n\nPackage ${i}, version ${version}.`, 'src/data.luau': `return "${payload}"\n` },
    });
    await publishPackage(ctx, archive, { publisherId: 0 });
    published.push({ name, version });
  }
}
await git(clone, ['push', '--quiet', 'origin', 'main']);
console.log(`published ${published.length} versions in ${((performance.now() - publishStarted) / 1000).toFixed(1)} s`);

// --- the request mix ---------------------------------------------------------------------
const fixtureNames = (await git(clone, ['ls-tree', '-r', '--name-only', 'HEAD']))
  .split('\n')
  .filter((f) => f.split('/').length === 2 && !f.endsWith('/scope.toml') && !f.startsWith('load/'));
const random = seededRandom(0x10ad);
const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
const enc = encodeURIComponent;
const kinds = [
  { kind: 'GET /v1/packages/{name}', share: 0.3, path: () => `/v1/packages/${enc(random() < 0.5 ? pick(published).name : pick(fixtureNames))}` },
  { kind: 'GET .../latest/any', share: 0.15, path: () => `/v1/packages/${enc(random() < 0.5 ? pick(published).name : pick(fixtureNames))}/latest/any` },
  { kind: 'GET .../{version}/{target}', share: 0.1, path: () => { const p = pick(published); return `/v1/packages/${enc(p.name)}/${p.version}/luau`; } },
  { kind: 'GET /v1/search', share: 0.1, path: () => pick(['/v1/search?query=', '/v1/search?query=pkg_1', '/v1/search?query=load', '/v1/search?query=ui&offset=50', `/v1/search?query=${pick(fixtureNames).split('/')[1]!.slice(0, 4)}`]) },
  { kind: 'GET .../archive', share: 0.35, path: () => { const p = pick(published); return `/v1/packages/${enc(p.name)}/${p.version}/luau/archive`; } },
];
const mix: Array<{ method: string; path: string }> = [];
const mixCounts = new Map<string, number>();
for (let i = 0; i < MIX_SIZE; i++) {
  let r = random();
  const kind = kinds.find((k) => (r -= k.share) < 0) ?? kinds[kinds.length - 1]!;
  mix.push({ method: 'GET', path: kind.path() });
  mixCounts.set(kind.kind, (mixCounts.get(kind.kind) ?? 0) + 1);
}

// --- the run -------------------------------------------------------------------------------
const registry = await startRegistry({ index: clone, storageRoot, label: 'load' });
const figures: Figure[] = [];
const notes: string[] = [];
try {
  // measured at work, not while it finishes its start-up in the background
  await registry.waitForLog(/warmed up/);
  // every path of the mix answers 200 before the load starts, so errors under load are load's
  for (const { path: p } of mix) {
    const res = await fetch(`${registry.url}${p}`);
    await res.arrayBuffer();
    if (res.status !== 200) throw new Error(`${p}: ${res.status} before the load run`);
  }
  const rssIdle = (await registry.rss()).rss;
  const marks = [0.25, 0.5, 0.75, 1].map((f) => Math.round(TOTAL * f));
  const atMark = new Map<number, Promise<number>>();
  const timeline: Array<{ s: number; done: number; rss: number }> = [];
  let done = 0;
  let firstResponseS = Number.NaN;
  const started = performance.now();
  const sampler = setInterval(() => {
    const at = { s: (performance.now() - started) / 1000, done };
    void registry.rss().then(({ rss }) => timeline.push({ ...at, rss }), () => undefined);
  }, 1000);
  const latencies: number[] = [];
  console.log(`${TOTAL} requests at ${CONNECTIONS} connections against ${registry.url} (mix: ${[...mixCounts].map(([k, c]) => `${k} ${((c / MIX_SIZE) * 100).toFixed(0)}%`).join(', ')})`);
  const result = await new Promise<AutocannonResult>((resolve, reject) => {
    const instance = autocannon(
      { url: registry.url, connections: CONNECTIONS, amount: TOTAL, requests: mix, headers: { 'accept-encoding': 'gzip' }, timeout: 30 },
      (error, res) => (error === null ? resolve(res) : reject(error)),
    );
    instance.on('response', (_client, _status, _bytes, responseTime) => {
      if (done === 0) firstResponseS = (performance.now() - started) / 1000;
      done++;
      latencies.push(responseTime);
      if (marks.includes(done)) atMark.set(done, registry.rss().then((m) => m.rss));
    });
  });
  clearInterval(sampler);
  const seconds = (performance.now() - started) / 1000;
  console.log(`first response after ${firstResponseS.toFixed(2)} s; autocannon duration ${result.duration} s; wall ${seconds.toFixed(1)} s`);
  const peak = (await registry.rss()).peak;
  // what is left once the server is idle again (V8's memory reducer collects after load drops)
  await new Promise((resolve) => setTimeout(resolve, 5000));
  const rssAfterIdle = (await registry.rss()).rss;
  const rssAt = await Promise.all(marks.map((m) => atMark.get(m) ?? Promise.resolve(Number.NaN)));
  const errors = result.errors + result.timeouts;
  const rps = result.requests.total / seconds;
  const p50 = percentile(latencies, 50);
  const p99 = percentile(latencies, 99);
  // the garbage collector makes RSS a sawtooth: compare the highest point of each half
  const half = (first: boolean) => Math.max(...timeline.filter((t) => (t.done < TOTAL / 2) === first).map((t) => t.rss), first ? rssIdle : 0);
  const peakFirstHalf = half(true);
  const peakSecondHalf = Math.max(half(false), rssAt[3]!);

  figures.push(
    { name: 'requests answered', value: `${result.requests.total.toLocaleString('en-US')} in ${seconds.toFixed(1)} s`, target: `${TOTAL.toLocaleString('en-US')}`, met: result.requests.total >= TOTAL },
    { name: 'errors (connection errors, timeouts, non-2xx)', value: `${errors} + ${result.non2xx} non-2xx`, target: '0', met: errors === 0 && result.non2xx === 0 },
    { name: 'throughput', value: perSecond(rps), target: '', met: null },
    { name: 'latency p50 / p99 / max', value: `${ms(p50)} / ${ms(p99)} / ${ms(result.latency.max, 0)}`, target: '', met: null },
    { name: 'server RSS idle (after one pass of the mix)', value: mb(rssIdle), target: '', met: null },
    { name: 'server RSS after 25 / 50 / 75 / 100 % of the requests', value: rssAt.map((r) => mb(r)).join(' / '), target: '', met: null },
    { name: 'server RSS peak, first half / second half of the run', value: `${mb(peakFirstHalf)} / ${mb(peakSecondHalf)}`, target: 'second <= 1.15 x first', met: peakSecondHalf <= peakFirstHalf * 1.15 },
    { name: 'server peak RSS (VmHWM)', value: mb(peak), target: '', met: null },
    { name: 'server RSS 5 s after the run', value: mb(rssAfterIdle), target: '', met: null },
  );
  notes.push(
    `RSS every second (s: requests done, RSS): ${timeline
      .sort((a, b) => a.s - b.s)
      .map((t) => `${t.s.toFixed(0)}: ${Math.round(t.done / 1000)}k ${(t.rss / 2 ** 20).toFixed(0)}`)
      .join('; ')} (MB)`,
    `Response bytes: ${mb(result.throughput.total)}; first response ${firstResponseS.toFixed(2)} s after the start (128 connections opening); latencies measured by autocannon per response; the load generator and the server share the machine's CPUs.`,
  );
  report(
    'load',
    flags,
    `\`node --import tsx bench/load.ts\`: ${TOTAL.toLocaleString('en-US')} requests at ${CONNECTIONS} connections on 127.0.0.1 against \`pesde-registry serve\` (own process, file storage, request log to a file), load from autocannon in the bench process. Index: the 780-package fixture plus ${PACKAGES} packages x ${VERSIONS.length} versions published beforehand (archives ~16 KB). Mix of ${MIX_SIZE} paths cycled per connection: ${[...mixCounts].map(([k, c]) => `${k} ${((c / MIX_SIZE) * 100).toFixed(0)}%`).join(', ')} (Accept-Encoding: gzip).`,
    figures,
    notes,
  );
  if (errors > 0 || result.non2xx > 0) process.exitCode = 1;
} finally {
  await registry.stop();
}
