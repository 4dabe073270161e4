/**
 * Faults: storage down, remote unreachable, and publishers killed with SIGKILL at random
 * points. A failed publish fails cleanly (one line, the documented exit code or 502) and
 * leaves the index as it was; a killed one never leaves an index entry without its archive,
 * and the next publish works without anyone cleaning up.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { FsStorage } from '../../src/storage/fs-storage.js';
import { verifyIndex } from '../../src/verify.js';
import { BIN, cli, ROOT, type CliResult } from '../helpers/cli.js';
import { GIT_TEST_ENV, runGit } from '../helpers/git.js';
import { closedPort, startTestServer, type TestServer } from '../helpers/http.js';
import { listFiles, listS3Keys, setupIndex, worldState, type IndexSetup } from '../helpers/index-setup.js';
import { buildPackage, writePackage, type PackageSpec } from '../helpers/package-fixture.js';
import { startS3, type TestS3 } from '../helpers/s3.js';
import { seededRandom } from '../helpers/seeded-random.js';

/** stderr of a failed CLI run: step lines, then exactly one `error:` line */
function cliErrorLine(result: CliResult): string {
  const lines = result.stderr.split('\n').filter((l) => l !== '' && !/^[A-Z][a-z ]+\.\.\.$/.test(l));
  assert.equal(lines.length, 1, `expected one error line, got:\n${result.stderr}`);
  assert.match(lines[0]!, /^error: /);
  return lines[0]!;
}

const post = (server: TestServer, body: Buffer) =>
  server.get('/v1/packages', { method: 'POST', body, headers: { 'content-type': 'application/octet-stream' } });

describe('storage down', () => {
  let setup: IndexSetup;
  let s3: TestS3;
  let server: TestServer;

  before(async () => {
    setup = await setupIndex({ prefix: 'pesde-faults-s3-' });
    s3 = await startS3();
    server = await startTestServer({ env: { INDEX_REPO_URL: setup.remote, ...s3.env }, flags: { dataDir: path.join(setup.root, 'server'), publishRateLimit: 'off' } });
  });
  after(async () => {
    await server?.dispose();
    await s3?.dispose();
    await setup?.cleanup();
  });

  it('CLI: exit 8 on one line, no index change; the same publish works once storage is back', async () => {
    const file = await writePackage(setup.root, 'down-cli.tar.gz', { name: 'acme/stored', version: '1.0.0', files: { 'README.md': '# hi' } });
    const keysBefore = await listS3Keys(s3);
    const before = await worldState(setup.remote, [setup.clone], async () => []);
    await s3.stop();
    let result: CliResult;
    try {
      result = await cli(['publish', file, '--index', setup.clone], { env: s3.env });
    } finally {
      await s3.restart();
    }
    assert.equal(result.code, 8, result.stderr);
    assert.match(cliErrorLine(result), /^error: could not write acme\/stored\/1\.0\.0\/luau\/(pkg\.tar\.gz|readme\.gz) to S3 bucket pesde-test at http:\/\/127\.0\.0\.1:\d+: /);
    assert.deepEqual(await worldState(setup.remote, [setup.clone], async () => []), before);
    assert.deepEqual(await listS3Keys(s3), keysBefore);

    const again = await cli(['publish', file, '--index', setup.clone], { env: s3.env });
    assert.equal(again.code, 0, again.stderr);
  });

  it('HTTP: 502 {"error"}, no index change; the same publish works once storage is back', async () => {
    const archive = await buildPackage({ name: 'acme/stored', version: '1.0.1' });
    const tip = await runGit(setup.remote, ['rev-parse', 'main']);
    const served = server.state.commit;
    const serverClone = server.index.dir;
    const cloneBefore = await worldState(setup.remote, [serverClone], async () => []);
    await s3.stop();
    let res;
    try {
      res = await post(server, archive);
    } finally {
      await s3.restart();
    }
    assert.equal(res.status, 502, res.text);
    assert.deepEqual(res.json(), { error: 'the package storage failed; try again later' });
    assert.equal(await runGit(setup.remote, ['rev-parse', 'main']), tip);
    assert.equal(server.state.commit, served);
    assert.deepEqual(await worldState(setup.remote, [serverClone], async () => []), cloneBefore);

    const again = await post(server, archive);
    assert.equal(again.status, 200, again.text);
    // the CLI clone is behind the server's publish: pull, then everything it names must be stored
    await runGit(setup.clone, ['pull', '--quiet', '--ff-only']);
    const full = await cli(['verify', '--index', setup.clone, '--json'], { env: s3.env });
    assert.equal(full.code, 0, full.stdout);
    assert.equal((JSON.parse(full.stdout) as { versions: number }).versions, 2);
  });
});

describe('remote unreachable', () => {
  let setup: IndexSetup;
  let n = 0;

  before(async () => {
    setup = await setupIndex({ prefix: 'pesde-faults-git-' });
  });
  after(() => setup?.cleanup());

  async function publishWithOrigin(configure: (clone: string) => Promise<void>) {
    const clone = await setup.cloneAnother(`unreachable-${++n}`);
    await configure(clone);
    const file = await writePackage(setup.root, `unreachable-${n}.tar.gz`, { name: 'acme/lost', version: `1.0.${n}` });
    const storage = path.join(setup.root, `storage-${n}`);
    const before = await worldState(setup.remote, [clone], () => listFiles(storage));
    const result = await cli(['publish', file, '--index', clone, '--storage-root', storage]);
    return { clone, file, storage, before, result };
  }

  for (const [what, url] of [
    ['origin is a path that does not exist', async () => '/nonexistent/pesde-index.git'],
    ['origin is a port nothing listens on', async () => `http://127.0.0.1:${await closedPort()}/index.git`],
  ] as const) {
    it(`CLI: exit 9 when ${what}, nothing written anywhere`, async () => {
      const origin = await url();
      const { clone, storage, before, result } = await publishWithOrigin((c) => runGit(c, ['remote', 'set-url', 'origin', origin]).then(() => undefined));
      assert.equal(result.code, 9, result.stderr);
      assert.match(cliErrorLine(result), /^error: cannot fetch the index from /);
      // fetching is the first step, so nothing was uploaded either
      assert.deepEqual(await worldState(setup.remote, [clone], () => listFiles(storage)), before);
      assert.deepEqual(before.storage, []);
    });
  }

  it('CLI: exit 9 when only the push fails; no local commit, clean work tree; a retry succeeds', async () => {
    const { clone, file, storage, before, result } = await publishWithOrigin((c) => runGit(c, ['remote', 'set-url', '--push', 'origin', '/nonexistent/push-target.git']).then(() => undefined));
    assert.equal(result.code, 9, result.stderr);
    assert.match(cliErrorLine(result), /^error: cannot push the index to /);
    const afterFailure = await worldState(setup.remote, [clone], () => listFiles(storage));
    assert.equal(afterFailure.remoteTip, before.remoteTip);
    assert.deepEqual(afterFailure.clones, before.clones, 'branch not moved, work tree clean');
    assert.equal(await runGit(clone, ['rev-parse', 'origin/main']), before.remoteTip);
    // the version is claimed on the origin before anything is uploaded, and that push failed first
    assert.deepEqual(afterFailure.storage, []);
    const verified = await cli(['verify', '--index', clone, '--storage-root', storage]);
    assert.equal(verified.code, 0, verified.stderr);

    await runGit(clone, ['remote', 'set-url', '--push', 'origin', setup.remote]);
    const retry = await cli(['publish', file, '--index', clone, '--storage-root', storage]);
    assert.equal(retry.code, 0, retry.stderr);
    assert.equal(await runGit(clone, ['status', '--porcelain']), '');
    assert.equal(await runGit(clone, ['rev-parse', 'HEAD']), await runGit(setup.remote, ['rev-parse', 'main']));
  });

  it('HTTP: 502 {"error"} when origin is unreachable (fetch, or push only), nothing half-written', async () => {
    const serverClone = await setup.cloneAnother('server-clone');
    const storage = path.join(setup.root, 'server-storage');
    const server = await startTestServer({ flags: { index: serverClone, storageRoot: storage, publishRateLimit: 'off' } });
    try {
      const served = server.state.commit;
      const archive = await buildPackage({ name: 'acme/served', version: '1.0.0' });
      for (const args of [['remote', 'set-url', 'origin', '/nonexistent/index.git'], ['remote', 'set-url', '--push', 'origin', '/nonexistent/index.git']]) {
        await runGit(serverClone, ['remote', 'set-url', 'origin', setup.remote]);
        await runGit(serverClone, args);
        const before = await worldState(setup.remote, [serverClone], async () => []);
        const res = await post(server, archive);
        assert.equal(res.status, 502, res.text);
        assert.deepEqual(res.json(), { error: 'the index repository failed; try again later' });
        assert.deepEqual(await worldState(setup.remote, [serverClone], async () => []), before);
        assert.equal(server.state.commit, served);
      }
      await runGit(serverClone, ['remote', 'set-url', 'origin', setup.remote]);
      await runGit(serverClone, ['config', '--unset', 'remote.origin.pushurl']);
      const res = await post(server, archive);
      assert.equal(res.status, 200, res.text);
    } finally {
      await server.dispose();
    }
  });
});

describe('publishers killed with SIGKILL', () => {
  const KILLS = 30;
  let setup: IndexSetup;
  let storage: string;

  before(async () => {
    setup = await setupIndex({ prefix: 'pesde-faults-kill-' });
    storage = setup.storage;
  });
  after(() => setup?.cleanup());

  interface Run {
    code: number | null;
    signal: NodeJS.Signals | null;
    /** the last step line printed before the end */
    phase: string;
    /** ms from "Validating the package" to the exit */
    pipelineMs: number | undefined;
  }

  /**
   * Runs the CLI as the leader of its own process group. With `killAfterMs`, SIGKILLs it
   * that long after it starts validating: the whole group (git children too, like a machine
   * or container going down), or the node process alone (its git children finish on their
   * own); either way this waits until no process of the group is left.
   */
  async function publishProcess(file: string, clone: string, kill?: { afterMs: number; group: boolean }): Promise<Run> {
    const child = spawn(process.execPath, [BIN, 'publish', file, '--index', clone, '--storage-root', storage], {
      cwd: ROOT,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...GIT_TEST_ENV, CI: 'true', NO_COLOR: '1', FS_STORAGE_ROOT: undefined, S3_ENDPOINT: undefined } as NodeJS.ProcessEnv,
    });
    const pid = child.pid!;
    let phase = 'startup';
    let validatingAt: number | undefined;
    let timer: NodeJS.Timeout | undefined;
    child.stdout.resume();
    child.stderr.setEncoding('utf8').on('data', (text: string) => {
      for (const line of text.split('\n')) {
        const step = /^([A-Z][a-z ]+)\.\.\.$/.exec(line);
        if (!step) continue;
        phase = step[1]!;
        if (phase === 'Validating the package' && validatingAt === undefined) {
          validatingAt = performance.now();
          if (kill) {
            timer = setTimeout(() => {
              try {
                if (kill.group) process.kill(-pid, 'SIGKILL');
                else process.kill(pid, 'SIGKILL');
              } catch {
                // already gone
              }
            }, kill.afterMs);
          }
        }
      }
    });
    const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.on('close', (c, s) => resolve([c, s])));
    const pipelineMs = validatingAt === undefined ? undefined : performance.now() - validatingAt;
    clearTimeout(timer);
    // orphaned git children (node killed alone) may still be working: wait for them
    for (let i = 0; i < 500; i++) {
      try {
        process.kill(-pid, 0);
      } catch {
        break;
      }
      await sleep(20);
    }
    return { code, signal, phase, pipelineMs };
  }

  async function landedVersions(): Promise<Set<string>> {
    const text = await runGit(setup.remote, ['show', 'main:acme/victim']).catch(() => '');
    return new Set([...text.matchAll(/^\["([^ "]+) luau"\]$/gm)].map((m) => m[1]!));
  }

  async function problems(repo: string, ref: string): Promise<string[]> {
    const commit = await runGit(repo, ['rev-parse', ref]);
    const report = await verifyIndex(repo, commit, new FsStorage(storage));
    return report.problems.map((p) => `${p.where}: ${p.problem}`);
  }

  it(`survives ${KILLS} kills at random points: never an entry without its archive; retries need no clean-up but for stale git ref locks (counted)`, async () => {
    const spec = (version: string): PackageSpec => ({ name: 'acme/victim', version, files: { 'README.md': `# victim ${version}` } });
    const clone = setup.clone;
    // how long the pipeline (validate to exit) takes here, so kills spread over all of it
    const calibration: number[] = [];
    for (const version of ['0.0.1', '0.0.2', '0.0.3']) {
      const run = await publishProcess(await writePackage(setup.root, `victim-${version}.tar.gz`, spec(version)), clone);
      assert.equal(run.code, 0);
      calibration.push(run.pipelineMs!);
    }
    const pipelineMs = [...calibration].sort((a, b) => a - b)[1]!;
    const random = seededRandom(0x5eed);
    const byPhase: Record<string, number> = {};
    const byOutcome: Record<string, number> = { 'finished before the kill': 0, 'killed before storage': 0, 'killed after storage, before the push landed': 0, 'killed after the push landed': 0 };
    let staleIndexLock: string | undefined;
    const staleRefLocks: string[] = [];

    let kills = 0;
    let runs = 0;
    for (let i = 0; kills < KILLS; i++) {
      assert.ok(i < KILLS * 2, `only ${kills} of ${i} runs were killed before they finished`);
      runs++;
      const version = `1.0.${i}`;
      const file = await writePackage(setup.root, `victim-${version}.tar.gz`, spec(version));
      const afterMs = Math.floor(random() * pipelineMs);
      const group = i % 2 === 0;
      const run = await publishProcess(file, clone, { afterMs, group });
      const stored = existsSync(path.join(storage, 'acme/victim', version, 'luau/pkg.tar.gz'));
      const landed = (await landedVersions()).has(version);
      const killed = run.signal === 'SIGKILL';
      if (killed) {
        kills++;
        byPhase[run.phase] = (byPhase[run.phase] ?? 0) + 1;
      }
      const outcome = !killed ? 'finished before the kill' : landed ? 'killed after the push landed' : stored ? 'killed after storage, before the push landed' : 'killed before storage';
      byOutcome[outcome]!++;
      const context = `kill ${i} (${group ? 'group' : 'node only'}, ${afterMs} ms after validating, phase "${run.phase}", ${outcome})`;
      if (!killed) assert.equal(run.code, 0, context);

      // the invariant: what the remote (and the clone) names is stored
      assert.ok(!landed || stored, `${context}: the index names ${version} but its archive is missing`);
      assert.deepEqual(await problems(setup.remote, 'main'), [], context);
      assert.deepEqual(await problems(clone, 'HEAD'), [], context);
      // Git's own ref locks: a group kill inside the local push's receive-pack (which runs in
      // the publisher's process group only because the remote is a local path) or inside a
      // ref update of the clone can leave one. Git cannot tell a stale lock from a live one,
      // so it takes a person to remove it; until then every publish fails (after 30 retries
      // for the remote's lock). Counted and reported, then removed as that person would.
      const refLocks = [
        ...(await listFiles(setup.remote)).filter((f) => f.endsWith('.lock')).map((f) => path.join(setup.remote, f)),
        ...(await listFiles(path.join(clone, '.git'))).filter((f) => f.endsWith('.lock') && f !== 'index.lock' && !f.startsWith('pesde-registry-')).map((f) => path.join(clone, '.git', f)),
      ];
      for (const lock of refLocks) {
        staleRefLocks.push(`${context}: ${path.relative(setup.root, lock)}`);
        await rm(lock);
      }
      // a kill inside the final `git merge --ff-only` leaves git's own index.lock behind; it is
      // left there, as nobody would clean it up either
      if (!staleIndexLock && existsSync(path.join(clone, '.git', 'index.lock'))) staleIndexLock = context;

      // a retry of the same version, with no clean-up: conflict exactly when it landed
      const retry = await cli(['publish', file, '--index', clone, '--storage-root', storage]);
      if (landed) {
        assert.equal(retry.code, 4, `${context}: retry: ${retry.stderr}`);
        assert.match(retry.stderr, /already published/);
      } else {
        assert.equal(retry.code, 0, `${context}: retry: ${retry.stderr}`);
      }
      assert.ok((await landedVersions()).has(version), context);
    }

    const last = await cli(['publish', await writePackage(setup.root, 'victim-final.tar.gz', spec('2.0.0')), '--index', clone, '--storage-root', storage]);
    assert.equal(last.code, 0, last.stderr);
    const versions = await landedVersions();
    assert.equal(versions.size, 3 + runs + 1);
    assert.deepEqual(await problems(setup.remote, 'main'), []);
    assert.equal(await runGit(clone, ['rev-parse', 'origin/main']), await runGit(setup.remote, ['rev-parse', 'main']));
    // a kill between git's index update and its ref update inside `merge --ff-only` leaves the
    // work tree ahead of HEAD (git's own lock files are gone by then); the publish then says
    // the checkout lags, which is what a person needs to hear
    const checkoutLags = /could not be fast-forwarded/.test(last.stderr);
    if (checkoutLags) console.log(`the final publish warned that the clone's checkout lags: ${last.stderr.trim().split('\n').pop()}`);
    if (staleIndexLock === undefined && !checkoutLags) {
      // the checkout followed every publish
      assert.equal(await runGit(clone, ['rev-parse', 'HEAD']), await runGit(setup.remote, ['rev-parse', 'main']));
      assert.equal(await runGit(clone, ['status', '--porcelain']), '');
    } else {
      // publishing still works (it builds on origin/main), but the work tree can no longer be
      // fast-forwarded, and `publish` does not say so
      console.log(`${staleIndexLock} left .git/index.lock: later publishes succeed but the clone's checkout stays behind`);
    }
    assert.equal(await runGit(setup.remote, ['rev-list', '--merges', 'main']), '');
    const verified = await cli(['verify', '--index', clone, '--storage-root', storage]);
    assert.equal(verified.code, 0, verified.stderr);

    console.log(`${kills} kills in ${runs} runs; pipeline ${calibration.map((ms) => ms.toFixed(0)).join('/')} ms; kills by last step printed: ${JSON.stringify(byPhase)}`);
    // private index files of writes killed between creating and removing them
    const leftovers = (await readdir(path.join(clone, '.git'))).filter((name) => name.startsWith('pesde-registry-'));
    console.log(`outcomes: ${JSON.stringify(byOutcome)}; temporary index files left in .git: ${leftovers.length}`);
    console.log(`stale git ref locks removed by hand: ${staleRefLocks.length === 0 ? 'none' : staleRefLocks.join('; ')}`);
  });
});
