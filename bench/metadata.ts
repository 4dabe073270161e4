/**
 * Package metadata under load: `GET /v1/packages/{name}` and `.../latest/any` on the
 * 50,000-package index at 64 connections, against a bare node:http server answering the
 * same bytes from memory. Both servers run in their own processes; autocannon runs here.
 *
 *   npm run bench:metadata [-- --quick] [-- --profile]
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { bigIndex, packageNames } from './lib/indexes.js';
import { compareLoad } from './lib/load.js';
import { OUT_DIR } from './lib/paths.js';
import { startBareServer, startRegistry, type BareRoute } from './lib/processes.js';
import { printProfiles, profileDir, report, scriptFlags } from './lib/script.js';
import { median, ms, perSecond, ratio, type Figure } from './lib/stats.js';

const CONNECTIONS = 64;
/** packages requested, spread over the whole index, so no single cached body is all that is measured */
const PACKAGES = 256;
const TARGET = 0.85;

const flags = scriptFlags();
// Many short interleaved rounds rather than two long ones: on these shared 2-CPU machines
// the CPU a server gets per answer moved from 21 to 34 us between consecutive 4 s windows of
// one unchanged registry (bench/RESULTS.md, issue 17 sixth pass), and two rounds let one such
// stretch fall on one contender's best round.
const durationS = flags.quick ? 3 : 4;
const rounds = flags.quick ? 1 : 6;
const work = path.join(OUT_DIR, 'metadata');
await rm(work, { recursive: true, force: true });
await mkdir(path.join(work, 'bodies'), { recursive: true });

const index = await bigIndex();
const all = await packageNames(index.clone);
const names = Array.from({ length: PACKAGES }, (_, i) => all[Math.floor((i * all.length) / PACKAGES)]!);
const endpoints = [
  { label: 'GET /v1/packages/{name}', paths: names.map((n) => `/v1/packages/${encodeURIComponent(n)}`) },
  { label: 'GET /v1/packages/{name}/latest/any', paths: names.map((n) => `/v1/packages/${encodeURIComponent(n)}/latest/any`) },
];

const profile = flags.profile ? await profileDir('metadata') : undefined;
const registry = await startRegistry({ index: index.clone, storageRoot: path.join(work, 'storage'), label: 'metadata', ...(profile === undefined ? {} : { cpuProfDir: profile }) });
const figures: Figure[] = [];
const notes: string[] = [];
try {
  // measured at work, not while it finishes its start-up in the background
  await registry.waitForLog(/warmed up/);
  // the baseline serves exactly the bytes the registry answers (without gzip: autocannon does not ask for it)
  const routes: BareRoute[] = [];
  let bytes = 0;
  for (const endpoint of endpoints) {
    for (const [i, p] of endpoint.paths.entries()) {
      const res = await fetch(`${registry.url}${p}`, { headers: { 'accept-encoding': 'identity' } });
      const body = Buffer.from(await res.arrayBuffer());
      if (res.status !== 200) throw new Error(`${p}: ${res.status} ${body.toString('utf8').slice(0, 200)}`);
      const file = path.join(work, 'bodies', `${routes.length}-${i}.json`);
      await writeFile(file, body);
      bytes += body.length;
      routes.push({ path: p, contentType: res.headers.get('content-type') ?? 'application/json', mode: 'memory', file });
    }
  }
  // profiled too, so what the registry adds per answer shows frame by frame beside it
  const bare = await startBareServer(routes, 'metadata-bare', profile === undefined ? undefined : path.join(profile, 'bare'));
  try {
    for (const endpoint of endpoints) {
      console.log(`${endpoint.label}: ${rounds} round(s) of ${durationS} s per server, ${CONNECTIONS} connections`);
      const results = await compareLoad(
        [
          { name: 'bare', url: bare.url, pid: bare.pid },
          { name: 'registry', url: registry.url, pid: registry.pid },
        ],
        { paths: endpoint.paths, connections: CONNECTIONS, durationS },
        rounds,
      );
      const b = results.get('bare')!;
      const r = results.get('registry')!;
      const bP99 = Math.min(...b.all.map((x) => x.p99Ms));
      const rP99 = Math.min(...r.all.map((x) => x.p99Ms));
      for (const [name, x] of [['bare', b], ['registry', r]] as const) {
        console.log(`  ${name}: ${x.all.map((run) => `${Math.round(run.rps)}/s p99 ${run.p99Ms} ms, ${run.cpuUsPerRequest!.toFixed(1)} us CPU per answer`).join('; ')}`);
      }
      const bCpu = median(b.all.map((x) => x.cpuUsPerRequest!));
      const rCpu = median(r.all.map((x) => x.cpuUsPerRequest!));
      figures.push(
        { name: `${endpoint.label}: requests/s, registry / bare`, value: `${ratio(r.best.rps / b.best.rps)} (${perSecond(r.best.rps)} / ${perSecond(b.best.rps)})`, target: `>= ${TARGET}`, met: r.best.rps / b.best.rps >= TARGET },
        { name: `${endpoint.label}: p99, bare / registry`, value: `${ratio(bP99 / rP99)} (${ms(rP99, 0)} vs ${ms(bP99, 0)})`, target: `>= ${TARGET}`, met: bP99 / rP99 >= TARGET },
        { name: `${endpoint.label}: server CPU per answer (all its threads), bare / registry, median of the rounds`, value: `${ratio(bCpu / rCpu)} (${rCpu.toFixed(1)} us vs ${bCpu.toFixed(1)} us)`, target: '', met: null },
      );
    }
  } finally {
    await bare.stop();
  }
  notes.push(
    `${PACKAGES} packages spread over the index, each connection cycling through them; bodies ${Math.round(bytes / routes.length)} bytes on average, uncompressed (no accept-encoding).`,
    `Each server gets ${rounds} interleaved round(s) of ${durationS} s after a 2 s warm-up; the best round's requests/s and the lowest p99 count (other load on the machine only ever slows a round down).`,
  );
} finally {
  await registry.stop();
}
report('metadata', flags, `\`pesde-registry serve\` on the ${index.packages.toLocaleString('en-US')}-package index vs a bare \`node:http\` server answering the same bytes from memory; autocannon, ${CONNECTIONS} connections, 127.0.0.1.`, figures, notes);
if (profile !== undefined) {
  console.log('registry:');
  await printProfiles(profile);
  console.log('bare server:');
  await printProfiles(path.join(profile, 'bare'));
}
