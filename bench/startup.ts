/**
 * `pesde-registry serve` start-up on the 50,000-package index: time from spawning the
 * process to its first 200 answer for a package (package reads are answered while the index
 * loads), to the end of its load (`/health` answers 200: search, pages and writes are
 * served), and its resident memory then, for a first
 * start (no summary cache in the clone: every file is read and scanned) and for a restart
 * (the cache the first start wrote: only config.toml is read). Beside them, what any start
 * must pay: Node's own start-up (`node -e 0`) and git listing and reading every file of the
 * index (`git ls-tree -r` into `git cat-file --batch`). Where the CPU went until ready comes
 * from the kernel's per-thread counters, which also show how long the thread running
 * JavaScript was ready to run but had no CPU.
 *
 *   npm run bench:startup [-- --quick] [-- --profile]
 */
import { execFile, spawn } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { pathExists } from '../src/path-exists.js';
import { bigIndex } from './lib/indexes.js';
import { OUT_DIR, ROOT } from './lib/paths.js';
import { processCpu, reapedChildrenCpuMs, type ProcessCpu } from './lib/proc-cpu.js';
import { startRegistry } from './lib/processes.js';
import { printProfiles, profileDir, report, scriptFlags } from './lib/script.js';
import { mb, median, ms, ratio, type Figure } from './lib/stats.js';

const execFileAsync = promisify(execFile);
/** ready / git listing and reading every file, same run: the floor any full load pays */
const READY_TARGET_RATIO = 2;
const RSS_TARGET = 200 * 1024 * 1024;

const flags = scriptFlags();
const runs = flags.quick ? 1 : 3;
const index = await bigIndex();
const storage = path.join(OUT_DIR, 'startup', 'storage');

/** What git alone takes to hand over every blob of the tree, the floor of any full load. */
async function gitReadAll(): Promise<number> {
  const started = performance.now();
  await new Promise<void>((resolve, reject) => {
    const list = spawn('git', ['ls-tree', '-r', '--full-tree', '--format=%(objectname)', 'HEAD'], { cwd: index.clone, stdio: ['ignore', 'pipe', 'inherit'] });
    const cat = spawn('git', ['cat-file', '--batch'], { cwd: index.clone, stdio: ['pipe', 'pipe', 'inherit'] });
    list.stdout.pipe(cat.stdin);
    cat.stdout.resume();
    cat.on('error', reject);
    cat.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`git cat-file exited ${code}`))));
  });
  return performance.now() - started;
}

interface Start {
  readyMs: number;
  /** until /health answers 200, the end of the load */
  loadedMs: number;
  rss: number;
  peak: number;
  cpu: ProcessCpu;
}

const nodeStart: number[] = [];
const gitRead: number[] = [];
const gitReadCpu: number[] = [];
const first: Start[] = [];
const restart: Start[] = [];
// the CPUs this process may run on, as the scheduler counts them for it
const cores = availableParallelism();
const profile = flags.profile ? await profileDir('startup') : undefined;
const cacheFile = path.join(index.clone, '.git', 'pesde-registry', 'summaries');

async function start(label: string): Promise<Start> {
  const server = await startRegistry({
    index: index.clone,
    storageRoot: storage,
    label: 'startup',
    readyPath: `/v1/packages/${encodeURIComponent('scope_0/pkg_0')}`,
    ...(profile === undefined ? {} : { cpuProfDir: profile }),
  });
  try {
    const loadedMs = await server.answered('/health');
    // read at once: the counters keep running while the server idles, but barely
    const cpu = await processCpu(server.pid);
    const memory = await server.rss();
    console.log(`  ${label}: a package answered in ${ms(server.readyMs, 0)}, loaded in ${ms(loadedMs, 0)}, resident ${mb(memory.rss)} (peak ${mb(memory.peak)})`);
    return { readyMs: server.readyMs, loadedMs, rss: memory.rss, peak: memory.peak, cpu };
  } finally {
    // a first start's server writes its summary cache before it exits
    await server.stop();
  }
}

for (let i = 0; i < runs; i++) {
  const started = performance.now();
  await execFileAsync(process.execPath, ['-e', '0'], { cwd: ROOT });
  nodeStart.push(performance.now() - started);
  const reaped = await reapedChildrenCpuMs();
  gitRead.push(await gitReadAll());
  gitReadCpu.push((await reapedChildrenCpuMs()) - reaped);
  console.log(`  round ${i + 1}: node -e 0 ${ms(nodeStart.at(-1)!, 0)}, git reading every file ${ms(gitRead.at(-1)!, 0)}`);
  await rm(cacheFile, { force: true });
  first.push(await start('first start'));
  if (!(await pathExists(cacheFile))) throw new Error(`the first start left no summary cache at ${cacheFile}`);
  restart.push(await start('restart'));
}

/** The start whose load took the median time, so its CPU split (read once loaded) belongs to the loaded figure shown. */
const medianOf = (starts: Start[]): Start => [...starts].sort((a, b) => a.loadedMs - b.loadedMs)[starts.length >> 1]!;
const gitMs = median(gitRead);
const readyFigure = (name: string, starts: Start[]): Figure => {
  const readyMs = median(starts.map((s) => s.readyMs));
  return { name, value: `${ratio(readyMs / gitMs)} (${ms(readyMs, 0)} / ${ms(gitMs, 0)})`, target: `<= ${READY_TARGET_RATIO}`, met: readyMs / gitMs <= READY_TARGET_RATIO };
};
// not a target of its own: what the first 200 was until package reads were answered during the load
const loadedFigure = (name: string, starts: Start[]): Figure => {
  const loadedMs = medianOf(starts).loadedMs;
  return { name, value: `${ratio(loadedMs / gitMs)} (${ms(loadedMs, 0)} / ${ms(gitMs, 0)})`, target: '', met: null };
};
const cpuFigures = (label: string, starts: Start[]): Figure[] => {
  const { cpu, loadedMs } = medianOf(starts);
  const used = cpu.main.runMs + cpu.helpers.runMs + cpu.children.runMs;
  return [
    { name: `${label}, CPU until loaded: main thread, the one running JavaScript, on a CPU / runnable but waiting for one`, value: `${ms(cpu.main.runMs, 0)} / ${ms(cpu.main.waitMs, 0)}`, target: '', met: null },
    { name: `${label}, CPU until loaded: its other threads (V8 compiler and GC, libuv) / its live git`, value: `${ms(cpu.helpers.runMs, 0)} / ${ms(cpu.children.runMs, 0)}`, target: '', met: null },
    { name: `${label}, CPU until loaded / (${cores} CPUs x loaded)`, value: `${((used / (cores * loadedMs)) * 100).toFixed(0)} % (${ms(used, 0)}; exited git processes not counted)`, target: '', met: null },
  ];
};
const memoryFigures = (label: string, starts: Start[]): Figure[] => {
  const rssBytes = median(starts.map((s) => s.rss));
  return [
    { name: `${label}, resident memory when loaded`, value: mb(rssBytes), target: `< ${mb(RSS_TARGET)}`, met: rssBytes < RSS_TARGET },
    { name: `${label}, peak resident memory (VmHWM)`, value: mb(median(starts.map((s) => s.peak))), target: '', met: null },
  ];
};
const figures: Figure[] = [
  readyFigure('first start (no summary cache): ready (spawn to first 200) / git reading every index file', first),
  readyFigure('restart (the summary cache the first start wrote): ready / git reading every index file', restart),
  loadedFigure('first start: loaded (spawn to /health 200; search, pages, writes) / git reading every index file', first),
  loadedFigure('restart: loaded / git reading every index file', restart),
  ...memoryFigures('first start', first),
  ...memoryFigures('restart', restart),
  ...cpuFigures('first start', first),
  ...cpuFigures('restart', restart),
  { name: 'baseline: node -e 0', value: ms(median(nodeStart), 0), target: '', met: null },
  { name: 'baseline: CPU of git listing and reading every index file', value: ms(median(gitReadCpu), 0), target: '', met: null },
  { name: 'baseline: git listing and reading every index file', value: ms(gitMs, 0), target: '', met: null },
];
report(
  'startup',
  flags,
  `Median of ${runs} round(s), each a first start and a restart of \`bin/pesde-registry.js serve --index <clone>\` on the ${index.packages.toLocaleString('en-US')}-package index (${index.versions.toLocaleString('en-US')} versions), timed from spawning the process to the first 200 answer to \`GET /v1/packages/scope_0%2Fpkg_0\` (answered while the index loads) and to the first 200 of \`GET /health\` (the load done); CPU counters and memory from /proc at that second moment. A first start has no summary cache (\`.git/pesde-registry/summaries\`, removed before it) and writes one before it stops; the restart that follows starts from it.`,
  figures,
);
if (profile !== undefined) await printProfiles(profile);
