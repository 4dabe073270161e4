/**
 * One CLI publish (`pesde-registry publish <archive> --index <clone> --storage-root <dir>`)
 * into the 780-package fixture index and into the 50,000-package index, each with its own
 * bare origin, next to what it cannot avoid: the bare git commands of an index change
 * (write one file, `git add`, `git commit`, `git push`) in the same clone, plus Node's own
 * start-up (`node -e 0`). Runs are interleaved so a slow moment on the machine hits all.
 * Floors, from the same run: Node loading the publish's modules and nothing else, plus the
 * git traced publishes had to wait for in turn (the median of three, one with --quick); they
 * show how much of a ratio no change to the code between those steps could remove.
 *
 *   npm run bench:publish [-- --quick] [-- --profile]
 */
import { execFile } from 'node:child_process';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { buildPackage } from '../test/helpers/package-fixture.js';
import { publishWithCli } from './lib/cli.js';
import { gitBusyMs, gitCalls } from './lib/git-trace.js';
import { bigCopy, fixtureCopy, GIT_ENV } from './lib/indexes.js';
import { OUT_DIR, ROOT } from './lib/paths.js';
import { cpuProfArgs } from './lib/processes.js';
import { printProfiles, profileDir, report, scriptFlags } from './lib/script.js';
import { median, ms, ratio, type Figure } from './lib/stats.js';

const execFileAsync = promisify(execFile);
const NAME = 'bench/publish_probe';
const SCALE_TARGET = 1.2;
const BARE_TARGET = 1.5;

const flags = scriptFlags();
const runs = flags.quick ? 3 : 9;
const work = path.join(OUT_DIR, 'publish');

console.log('copying the indexes (the 50,000-package one checks out 50,000 files)');
const setups = [
  { label: '780 packages', ...(await fixtureCopy(path.join(work, 'fixture'))) },
  { label: '50,000 packages', ...(await bigCopy(path.join(work, 'big'))) },
].map((s) => ({ ...s, storage: path.join(path.dirname(s.clone), 'storage'), publish: [] as number[], bareGit: [] as number[] }));

// archives are built before any timing; version 0.0.x is the untimed warm-up (it also creates the scope)
const archives: string[] = [];
await mkdir(path.join(work, 'archives'), { recursive: true });
for (let i = 0; i <= runs; i++) {
  const file = path.join(work, 'archives', `probe-${i}.tar.gz`);
  const version = i === 0 ? '0.0.1' : `1.0.${i}`;
  await writeFile(file, await buildPackage({ name: NAME, version, description: 'Publish latency probe' }));
  archives.push(file);
}

async function timed(command: string, args: string[], cwd: string): Promise<number> {
  const started = performance.now();
  await execFileAsync(command, args, { cwd, env: { ...process.env, ...GIT_ENV } });
  return performance.now() - started;
}

/** What any index change costs at least: one file written, added, committed and pushed. */
async function bareGitChange(clone: string, i: number): Promise<number> {
  const file = path.join(clone, 'bench', 'bare_probe');
  const started = performance.now();
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, `["1.0.${i} luau"]\npublished_at = "2030-01-01T00:00:00Z"\ndescription = "bare git probe"\n`);
  await execFileAsync('git', ['-c', 'gc.auto=0', 'add', 'bench/bare_probe'], { cwd: clone, env: { ...process.env, ...GIT_ENV } });
  await execFileAsync('git', ['-c', 'gc.auto=0', '-c', 'commit.gpgsign=false', 'commit', '--quiet', '-m', `bare probe ${i}`], { cwd: clone, env: { ...process.env, ...GIT_ENV } });
  await execFileAsync('git', ['push', '--quiet', 'origin', 'HEAD:main'], { cwd: clone, env: { ...process.env, ...GIT_ENV } });
  return performance.now() - started;
}

const nodeStart: number[] = [];
/**
 * Node loading what a publish loads (the bundle's core, which holds the CLI, its publish
 * command and the publish pipeline: scripts/bundle.ts) and doing nothing else: with
 * `node -e 0`, the part of a publish no code change short of loading less can remove.
 */
const LOAD_ONLY = `await import(${JSON.stringify(pathToFileURL(path.join(ROOT, 'dist', 'pesde-registry.js')).href)});`;
const nodeLoad: number[] = [];
/**
 * What starting one git costs the CLI's main thread once the bundle is loaded: the
 * `spawn()` call, i.e. the fork of a process of that size (it grows with the process, as a
 * fork copies its page tables). Every git a publish runs pays at least this.
 */
const FORK_COST = `${LOAD_ONLY} const { spawn } = await import('node:child_process'); const times = [];
for (let i = 0; i < 16; i++) { const t = performance.now(); const c = spawn('git', ['--version'], { stdio: ['pipe', 'pipe', 'pipe'] }); times.push(performance.now() - t); await new Promise((r) => c.on('close', r)); }
times.sort((a, b) => a - b); console.log(times[8]);`;
const forkMs: number[] = [];
async function forkCost(): Promise<number> {
  const { stdout } = await execFileAsync(process.execPath, ['--input-type=module', '-e', FORK_COST], { cwd: ROOT });
  return Number(stdout.trim());
}
for (const s of setups) {
  await publishWithCli(archives[0]!, s.clone, s.storage);
  await bareGitChange(s.clone, 0);
}
for (let i = 1; i <= runs; i++) {
  for (const s of i % 2 === 1 ? setups : [...setups].reverse()) {
    s.publish.push((await publishWithCli(archives[i]!, s.clone, s.storage)).ms);
    s.bareGit.push(await bareGitChange(s.clone, i));
  }
  nodeStart.push(await timed(process.execPath, ['-e', '0'], ROOT));
  nodeLoad.push(await timed(process.execPath, ['--input-type=module', '-e', LOAD_ONLY], ROOT));
  forkMs.push(await forkCost());
  console.log(`  run ${i}: ${setups.map((s) => `${s.label} publish ${ms(s.publish.at(-1)!, 0)}, bare git ${ms(s.bareGit.at(-1)!, 0)}`).join('; ')}; node -e 0 ${ms(nodeStart.at(-1)!, 0)}`);
}

// more publishes into each, traced, to show which git processes the time goes to; the git a
// publish waits for moves by tens of milliseconds from one publish to the next, so its median counts
const tracedRuns = flags.quick ? 1 : 3;
const breakdown: string[] = [];
/**
 * What a publish must wait for git to do, one after the other, whatever runs beside them:
 * the claim's push (before the upload, so a version has one winner) and the tip check after
 * it, the index push (after the upload), then the checkout and the branch's move. The fetch
 * and the object writes overlap module loading and the claim's push, so they are left out:
 * a lower bound.
 */
/** per index, what each traced publish waited for */
const waitedGit: number[][] = [];
/** per index, how many git processes its first traced publish started */
const gitCounts: number[] = [];
const isWaitedFor = (argv: string): boolean => argv.startsWith('push ') || argv.startsWith('ls-remote ') || argv.startsWith('checkout ') || argv.startsWith('update-ref -m merge');
const profile = flags.profile ? await profileDir('publish') : undefined;
for (const [k, s] of setups.entries()) {
  const waited: number[] = [];
  for (let t = 0; t < tracedRuns; t++) {
    const traceFile = path.join(work, `trace-${k}-${t}.json`);
    await rm(traceFile, { force: true });
    const archive = path.join(work, 'archives', `traced-${k}-${t}.tar.gz`);
    await writeFile(archive, await buildPackage({ name: NAME, version: `2.0.${t}`, description: 'Publish latency probe' }));
    const profiled = k === 1 && t === 0 ? profile : undefined;
    const run = await publishWithCli(archive, s.clone, s.storage, cpuProfArgs(profiled), { GIT_TRACE2_EVENT: traceFile });
    const calls = await gitCalls(traceFile);
    waited.push(calls.filter((c) => isWaitedFor(c.argv)).reduce((sum, c) => sum + c.ms, 0));
    if (t > 0) continue;
    // the write's one `cat-file --batch` stays open beside the others, mostly waiting for a question
    const longLived = calls.filter((c) => c.argv.startsWith('cat-file --batch'));
    const gitMs = gitBusyMs(calls.filter((c) => !longLived.includes(c)));
    gitCounts.push(calls.length);
    breakdown.push(
      `Traced publish into the ${s.label} index: ${ms(run.ms, 0)} in all; ${calls.length - longLived.length} short git processes, at least one of them running for ${ms(gitMs, 0)}, so ${ms(run.ms - gitMs, 0)} with none running (Node start-up, module loading, archive checks, spawning)` +
        (longLived.length > 0 ? `; beside them ${longLived.length} \`cat-file --batch\` open for ${ms(longLived.reduce((sum, c) => sum + c.ms, 0), 0)}: ` : ': ') +
        calls.map((c) => `\`git ${c.argv.length > 60 ? `${c.argv.slice(0, 57)}...` : c.argv}\` ${c.ms.toFixed(0)}`).join(', ') + ' (ms).',
    );
  }
  waitedGit.push(waited);
}

const nodeMs = median(nodeStart);
const figures: Figure[] = [];
const [small, big] = setups as [(typeof setups)[0], (typeof setups)[0]];
const scale = median(big.publish) / median(small.publish);
figures.push({ name: 'publish median, 50,000 / 780 packages', value: `${ratio(scale)} (${ms(median(big.publish), 0)} / ${ms(median(small.publish), 0)})`, target: `<= ${SCALE_TARGET}`, met: scale <= SCALE_TARGET });
for (const s of setups) {
  const baseline = median(s.bareGit) + nodeMs;
  const r = median(s.publish) / baseline;
  figures.push({
    name: `publish into ${s.label}, / (bare git + node -e 0)`,
    value: `${ratio(r)} (${ms(median(s.publish), 0)} / (${ms(median(s.bareGit), 0)} + ${ms(nodeMs, 0)}))`,
    target: `<= ${BARE_TARGET}`,
    met: r <= BARE_TARGET,
  });
}
// Floors from this run: what a publish pays even if its own code took no time at all
const loadMs = median(nodeLoad);
figures.push({ name: 'floor: Node loading the publish\'s modules, nothing else', value: `${ms(loadMs, 0)} (node -e 0: ${ms(nodeMs, 0)})`, target: '', met: null });
figures.push({
  name: 'one git started from the CLI with its modules loaded: the spawn() call on its main thread (median)',
  value: `${ms(median(forkMs), 1)}; a publish starts ${setups.map((s, k) => `${gitCounts[k]} (${s.label})`).join(' and ')}, so at least ${ms(median(forkMs) * Math.min(...gitCounts), 0)} of forks`,
  target: '',
  met: null,
});
for (const [k, s] of setups.entries()) {
  const waited = median(waitedGit[k]!);
  const floor = loadMs + waited;
  figures.push({
    name: `floor into ${s.label}: that + the git it waits for in turn (both pushes, the claim's tip check, checkout), / (bare git + node -e 0)`,
    value: `${ratio(floor / (median(s.bareGit) + nodeMs))} ((${ms(loadMs, 0)} + ${ms(waited, 0)}) / (${ms(median(s.bareGit), 0)} + ${ms(nodeMs, 0)})); waited-for git of ${tracedRuns} traced publish(es): ${waitedGit[k]!.map((w) => ms(w, 0)).join(', ')}`,
    target: '',
    met: null,
  });
}
const extraGit = median(waitedGit[1]!) - median(waitedGit[0]!);
figures.push({
  name: 'floor of 50,000 / 780: (this 780 publish + the waited-for git the 50,000 index adds) / this 780 publish',
  value: `${ratio((median(small.publish) + extraGit) / median(small.publish))} ((${ms(median(small.publish), 0)} + ${ms(extraGit, 0)}) / ${ms(median(small.publish), 0)})`,
  target: '',
  met: null,
});
report(
  'publish',
  flags,
  `Median of ${runs} CLI publishes (\`bin/pesde-registry.js publish <archive> --index <clone> --storage-root <dir>\`, a new version of one small package each time, after an untimed first one) into a private copy of each index with its own bare origin; beside it, in the same clone, the bare git commands of one index change (write a file, \`git add\`, \`git commit\`, \`git push\`) and \`node -e 0\`, all interleaved.`,
  figures,
  breakdown,
);
if (profile !== undefined) await printProfiles(profile);
