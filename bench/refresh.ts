/**
 * Refresh latency on the 50,000-package index: another clone pushes one new version of a
 * package to the origin, the server is told at once (`refresh()` of the running server; no
 * interval wait), and the clock stops when `GET /v1/packages/{name}/{version}/{target}`
 * answers 200. Beside it, `git fetch` of the same push in a third clone: the part no
 * refresh can skip. The server runs in this process so refresh() can be called directly.
 *
 *   npm run bench:refresh [-- --quick] [-- --profile]
 */
import { appendFile } from 'node:fs/promises';
import path from 'node:path';
import { silentLogger } from '../src/server/logger.js';
import { resolveServerOptions } from '../src/server/server-options.js';
import { startServer } from '../src/server/start-server.js';
import { bigCopy, git } from './lib/indexes.js';
import { profiled } from './lib/in-process-profile.js';
import { OUT_DIR } from './lib/paths.js';
import { printProfiles, profileDir, report, scriptFlags } from './lib/script.js';
import { median, ms, ratio, type Figure } from './lib/stats.js';

const TARGET_MS = 200;
/** slowest / median: an outlier is what a user waiting on a publish notices */
const SPREAD_TARGET = 2;
const PACKAGE = 'scope_7/pkg_77';

const flags = scriptFlags();
const runs = flags.quick ? 3 : 15;
const work = path.join(OUT_DIR, 'refresh');
console.log('copying the 50,000-package index (three clones)');
const { clones } = await bigCopy(work, ['server', 'pusher', 'watcher']);
const [serverClone, pusher, watcher] = clones as [string, string, string];

const server = await startServer({
  ...resolveServerOptions({ index: serverClone, storageRoot: path.join(work, 'storage'), address: '127.0.0.1', port: 0, refreshInterval: 0, publishRateLimit: 'off' }, {}),
  logger: silentLogger,
});

const total: number[] = [];
const refreshOnly: number[] = [];
const fetchOnly: number[] = [];
const profile = flags.profile ? await profileDir('refresh') : undefined;

async function once(i: number): Promise<void> {
  const version = `9.0.${i}`;
  await appendFile(
    path.join(pusher, PACKAGE),
    `\n["${version} luau"]\npublished_at = "2030-01-01T00:00:0${i % 10}Z"\ndescription = "refresh probe"\n\n["${version} luau".target]\nenvironment = "luau"\nlib = "init.luau"\n`,
  );
  await git(pusher, ['commit', '--quiet', '-am', `add ${PACKAGE}@${version} luau`]);
  await git(pusher, ['push', '--quiet', 'origin', 'HEAD:main']);
  // the push is complete: from here on the clock runs
  const started = performance.now();
  await server.refresh();
  const refreshed = performance.now();
  const res = await fetch(`${server.url}/v1/packages/${encodeURIComponent(PACKAGE)}/${version}/luau`);
  await res.arrayBuffer();
  if (res.status !== 200) throw new Error(`${PACKAGE}@${version} is not served after the refresh (${res.status})`);
  total.push(performance.now() - started);
  refreshOnly.push(refreshed - started);
  const fetchStarted = performance.now();
  await git(watcher, ['fetch', '--quiet', 'origin']);
  fetchOnly.push(performance.now() - fetchStarted);
  console.log(`  push ${i}: served after ${ms(total.at(-1)!)} (refresh ${ms(refreshOnly.at(-1)!)}); git fetch alone ${ms(fetchOnly.at(-1)!)}`);
}

try {
  // untimed: the first advance also builds what later ones copy
  await once(0);
  total.length = refreshOnly.length = fetchOnly.length = 0;
  const loop = async () => {
    for (let i = 1; i <= runs; i++) await once(i);
  };
  if (profile === undefined) await loop();
  else await profiled(profile, 'refresh', loop);
} finally {
  await server.close();
}

const figures: Figure[] = [
  { name: 'push to served, median', value: ms(median(total)), target: `< ${TARGET_MS} ms`, met: median(total) < TARGET_MS },
  { name: 'push to served, slowest / median', value: `${ratio(Math.max(...total) / median(total))} (${ms(Math.max(...total))} / ${ms(median(total))})`, target: `<= ${SPREAD_TARGET}`, met: Math.max(...total) / median(total) <= SPREAD_TARGET },
  { name: 'of which refresh() (fetch + advance)', value: ms(median(refreshOnly)), target: '', met: null },
  { name: 'baseline: git fetch of the same push in another clone', value: ms(median(fetchOnly)), target: '', met: null },
];
report(
  'refresh',
  flags,
  `${runs} pushes, each of one new version of \`${PACKAGE}\` from another clone of the ${'50,000'}-package index's origin; timed from the push's completion to the first 200 for that version, with the running server's \`refresh()\` called at once (periodic refresh off).`,
  figures,
);
if (profile !== undefined) await printProfiles(profile);
