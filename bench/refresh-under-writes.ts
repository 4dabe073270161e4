/**
 * Refresh lag under write load: one replica (refresh interval 1 s) takes 20 concurrent
 * publishes over HTTP while another writer (a CLI in its own clone) pushes versions one
 * after another; for each of those, the time from the CLI's push landing to the replica
 * serving it. Target: the slowest lag under one refresh interval plus a refresh's own cost.
 * Prints its figures; RESULTS.md is left alone (a one-off measurement for issue 12).
 */
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { cli } from '../test/helpers/cli.js';
import { startTestServer } from '../test/helpers/http.js';
import { setupIndex } from '../test/helpers/index-setup.js';
import { buildPackage, writePackage } from '../test/helpers/package-fixture.js';

const setup = await setupIndex({ prefix: 'pesde-bench-refresh-writes-' });
const replica = await startTestServer({ env: { INDEX_REPO_URL: setup.remote, FS_STORAGE_ROOT: setup.storage }, flags: { dataDir: path.join(setup.root, 'replica'), publishRateLimit: 'off', refreshInterval: 1 } });
try {
  const archives = await Promise.all(Array.from({ length: 20 }, (_, i) => buildPackage({ name: `load/pkg_${i}`, version: '1.0.0', files: { 'big.luau': 'x'.repeat(200_000 + i) } })));
  const other = await setup.cloneAnother('other');
  const files = await Promise.all([0, 1, 2, 3, 4].map((i) => writePackage(setup.root, `other-${i}.tar.gz`, { name: `other/pkg_${i}`, version: '1.0.0' })));
  const writes = Promise.all(archives.map((body) => replica.get('/v1/packages', { method: 'POST', body, headers: { 'content-type': 'application/octet-stream' } })));
  const lags: number[] = [];
  for (const [i, file] of files.entries()) {
    const result = await cli(['publish', file, '--index', other, '--storage-root', setup.storage]);
    if (result.code !== 0) throw new Error(result.stderr);
    const landed = performance.now();
    while (!replica.state.packages.has(`other/pkg_${i}`)) await new Promise((r) => setTimeout(r, 5));
    lags.push(performance.now() - landed);
  }
  const answers = await writes;
  console.log(`replica publishes: ${answers.filter((a) => a.status === 200).length}/20 answered 200${answers.filter((a) => a.status !== 200).map((a) => `; ${a.status} ${a.text}`).join("")}`);
  console.log(`lag of the other writer's pushes (ms): ${lags.map((l) => l.toFixed(0)).join(', ')}; slowest ${Math.max(...lags).toFixed(0)} ms with a 1000 ms refresh interval`);
} finally {
  await replica.dispose();
  await setup.cleanup();
}
