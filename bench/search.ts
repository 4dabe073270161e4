/**
 * Search latency on the 50,000-package index: 1,000 distinct queries (description words,
 * word pairs, prefixes, package and scope names, misses, second pages), one at a time over
 * a kept-alive connection, so every one is a cache miss that searches the index. Beside
 * it, a bare node:http server answering a search page of the same size from memory,
 * request for request: the HTTP round trip that any answer costs.
 *
 *   npm run bench:search [-- --quick] [-- --profile]
 */
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { bigIndex } from './lib/indexes.js';
import { OUT_DIR } from './lib/paths.js';
import { startBareServer, startRegistry } from './lib/processes.js';
import { printProfiles, profileDir, report, scriptFlags } from './lib/script.js';
import { median, ms, percentile, ratio, type Figure } from './lib/stats.js';
import { FRESH_GZIP_LEVEL } from '../src/server/cached-body.js';
import { seededRandom } from '../test/helpers/seeded-random.js';

const QUERIES = 1000;
/** registry / bare, at p50 and at p99 of the same run */
const TARGET_RATIO = 2;

const flags = scriptFlags();
const work = path.join(OUT_DIR, 'search');
await mkdir(work, { recursive: true });
const index = await bigIndex();

// words people would type: those of the real descriptions the generated packages carry
const words = new Map<string, number>();
for (let i = 0; i < 780; i++) {
  const text = await readFile(path.join(index.clone, 'scope_0', `pkg_${i}`), 'utf8').catch(() => '');
  for (const match of text.matchAll(/^description = "(.*)"$/gm)) {
    for (const word of match[1]!.toLowerCase().split(/[^a-z0-9]+/)) {
      if (word.length >= 3) words.set(word, (words.get(word) ?? 0) + 1);
    }
  }
}
const vocabulary = [...words.keys()].sort();
const random = seededRandom(6);
const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
const packageNumber = () => Math.floor(random() * index.packages);
const kinds: Array<[number, () => string]> = [
  [35, () => `query=${pick(vocabulary)}`],
  [15, () => `query=${pick(vocabulary)}+${pick(vocabulary)}`],
  [10, () => `query=${pick(vocabulary).slice(0, 3 + Math.floor(random() * 3))}`],
  [10, () => `query=pkg_${packageNumber()}`],
  [5, () => `query=pkg_${String(packageNumber()).slice(0, 2 + Math.floor(random() * 2))}`],
  [10, () => `query=scope_${Math.floor(packageNumber() / 10)}`],
  [5, () => `query=scope_${Math.floor(packageNumber() / 10)}+${pick(vocabulary)}`],
  [5, () => `query=${Math.floor(random() * 1e9).toString(36)}qx`],
  [5, () => `query=${pick(vocabulary)}&offset=50`],
];
const weightSum = kinds.reduce((sum, [w]) => sum + w, 0);
const queries = new Set<string>();
while (queries.size < QUERIES) {
  let roll = random() * weightSum;
  for (const [weight, make] of kinds) {
    roll -= weight;
    if (roll < 0) {
      queries.add(`/v1/search?${make()}`);
      break;
    }
  }
}

const profile = flags.profile ? await profileDir('search') : undefined;
const registry = await startRegistry({ index: index.clone, storageRoot: path.join(work, 'storage'), label: 'search', ...(profile === undefined ? {} : { cpuProfDir: profile }) });
const latencies: number[] = [];
const bareLatencies: number[] = [];
/** the same page uncompressed: what a client not asking for gzip would wait for */
const plainLatencies: number[] = [];
let matches = 0;
try {
  // measured at work, not while it finishes its start-up in the background
  await registry.waitForLog(/warmed up/);
  // the floor: a page of typical size, answered from memory by a bare server
  const sample = await fetch(`${registry.url}/v1/search?query=${encodeURIComponent(pick(vocabulary))}&offset=1`);
  const sampleFile = path.join(work, 'page.json.gz');
  // fetch asks for gzip, and the registry compresses a page of this size: the baseline sends
  // the same compressed bytes (at the registry's level for a fresh page), so both clients gunzip alike
  if (sample.headers.get('content-encoding') !== 'gzip') throw new Error('the registry no longer compresses a search page: make the baseline match');
  const page = Buffer.from(await sample.arrayBuffer());
  await writeFile(sampleFile, gzipSync(page, { level: FRESH_GZIP_LEVEL }));
  const plainFile = path.join(work, 'page.json');
  await writeFile(plainFile, page);
  const bare = await startBareServer(
    [
      { path: '/v1/search', contentType: 'application/json', contentEncoding: 'gzip', mode: 'memory', file: sampleFile },
      { path: '/v1/search-plain', contentType: 'application/json', mode: 'memory', file: plainFile },
    ],
    'search-bare',
  );
  try {
    const get = async (url: string) => {
      const started = performance.now();
      const res = await fetch(url);
      const body = await res.text();
      const took = performance.now() - started;
      if (res.status !== 200) throw new Error(`${url}: ${res.status} ${body.slice(0, 200)}`);
      return { took, body };
    };
    // warm both connections and the server's code paths on queries not measured
    for (const q of ['query=warm', 'query=up', 'query=']) {
      await get(`${registry.url}/v1/search?${q}`);
      await get(`${bare.url}/v1/search`);
      await get(`${bare.url}/v1/search-plain`);
    }
    for (const q of queries) {
      const answer = await get(`${registry.url}${q}`);
      latencies.push(answer.took);
      matches += (JSON.parse(answer.body) as { count: number }).count;
      bareLatencies.push((await get(`${bare.url}/v1/search`)).took);
      plainLatencies.push((await get(`${bare.url}/v1/search-plain`)).took);
    }
  } finally {
    await bare.stop();
  }
} finally {
  await registry.stop();
}

const p99 = percentile(latencies, 99);
const p50 = median(latencies);
const bareP99 = percentile(bareLatencies, 99);
const bareP50 = median(bareLatencies);
const figures: Figure[] = [
  { name: 'search p99, registry / bare', value: `${ratio(p99 / bareP99)} (${ms(p99, 2)} / ${ms(bareP99, 2)})`, target: `<= ${TARGET_RATIO}`, met: p99 / bareP99 <= TARGET_RATIO },
  { name: 'search p50, registry / bare', value: `${ratio(p50 / bareP50)} (${ms(p50, 2)} / ${ms(bareP50, 2)})`, target: `<= ${TARGET_RATIO}`, met: p50 / bareP50 <= TARGET_RATIO },
  {
    name: 'for comparison: registry / bare server sending the page uncompressed, p99 and p50',
    value: `${ratio(p99 / percentile(plainLatencies, 99))} and ${ratio(p50 / median(plainLatencies))} (bare ${ms(percentile(plainLatencies, 99), 2)} and ${ms(median(plainLatencies), 2)})`,
    target: '',
    met: null,
  },
  { name: 'search max, registry (bare)', value: `${ms(Math.max(...latencies), 1)} (${ms(Math.max(...bareLatencies), 1)})`, target: '', met: null },
];
report(
  'search',
  flags,
  `${QUERIES} distinct queries against \`pesde-registry serve\` on the ${index.packages.toLocaleString('en-US')}-package index (${Math.round(matches / QUERIES).toLocaleString('en-US')} matching packages per query on average), sent one at a time over a kept-alive connection and timed by the client (fetch, which asks for gzip); each is asked once, so none is answered from the page cache. Each is followed by the same request to a bare node:http server answering one typical page from memory, gzip-compressed as the registry sends it.`,
  figures,
);
if (profile !== undefined) await printProfiles(profile);
