/**
 * Concurrent writers on one shared remote: two `serve` replicas (each cloning the remote
 * into its own DATA_DIR from INDEX_REPO_URL, as the official registry is deployed) and CLI
 * publishers in their own clones, all on one S3 bucket. Twenty publishes started at once
 * all land, as twenty commits in a straight line; both replicas serve all of them after a
 * refresh, and `verify` against the bucket is clean.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { cli } from '../helpers/cli.js';
import { runGit } from '../helpers/git.js';
import { enc, startTestServer, type TestServer } from '../helpers/http.js';
import { commitsSince, listS3Keys, setupIndex, type IndexSetup } from '../helpers/index-setup.js';
import { buildPackage, writePackage, type PackageSpec } from '../helpers/package-fixture.js';
import { startS3, type TestS3 } from '../helpers/s3.js';

let setup: IndexSetup;
let s3: TestS3;
let replicas: TestServer[] = [];

before(async () => {
  setup = await setupIndex({ prefix: 'pesde-concurrency-' });
  s3 = await startS3();
  for (const name of ['replica-a', 'replica-b']) {
    replicas.push(
      await startTestServer({
        env: { INDEX_REPO_URL: setup.remote, ...s3.env },
        flags: { dataDir: path.join(setup.root, name), publishRateLimit: 'off' },
      }),
    );
  }
});

after(async () => {
  for (const replica of replicas) await replica.dispose();
  replicas = [];
  await s3?.dispose();
  await setup?.cleanup();
});

type Writer = { kind: 'replica'; index: number } | { kind: 'cli'; clone: string };

describe('twenty publishes at once on one remote', () => {
  it('all land, history stays linear, both replicas serve them and verify is clean', async () => {
    const base = await runGit(setup.remote, ['rev-parse', 'main']);
    // a new scope (so the first writers race to create scope.toml) and one package that
    // several writers add versions to at the same time (so they race on one file)
    const specs: PackageSpec[] = [];
    for (let i = 0; i < 17; i++) specs.push({ name: `race/pkg_${i}`, version: '1.0.0', target: i % 2 === 0 ? 'luau' : 'roblox' });
    for (const version of ['1.0.0', '1.1.0', '2.0.0-rc.1']) specs.push({ name: 'race/shared', version });
    assert.equal(specs.length, 20);

    // 7 through each replica, 6 through CLI publishers, each in its own clone
    const writers: Writer[] = [];
    for (let i = 0; i < 20; i++) {
      if (i % 3 === 0) writers.push({ kind: 'replica', index: 0 });
      else if (i % 3 === 1) writers.push({ kind: 'replica', index: 1 });
      else writers.push({ kind: 'cli', clone: await setup.cloneAnother(`publisher-${i}`) });
    }
    const archives = await Promise.all(specs.map((spec) => buildPackage(spec)));
    const files = await Promise.all(specs.map((spec, i) => writePackage(setup.root, `pkg-${i}.tar.gz`, spec)));

    const outcomes = await Promise.all(
      specs.map(async (spec, i) => {
        const writer = writers[i]!;
        if (writer.kind === 'replica') {
          const res = await replicas[writer.index]!.get('/v1/packages', { method: 'POST', body: archives[i]!, headers: { 'content-type': 'application/octet-stream' } });
          return { ok: res.status === 200, detail: `replica ${writer.index}: ${res.status} ${res.text}`, attempts: undefined };
        }
        const result = await cli(['publish', files[i]!, '--index', writer.clone, '--json'], { env: s3.env });
        const out = result.code === 0 ? (JSON.parse(result.stdout) as { attempts: number }) : undefined;
        return { ok: result.code === 0, detail: `cli: ${result.code} ${result.stdout}${result.stderr}`, attempts: out?.attempts };
      }),
    );
    for (const outcome of outcomes) assert.ok(outcome.ok, outcome.detail);
    const cliAttempts = outcomes.flatMap((o) => (o.attempts === undefined ? [] : [o.attempts]));
    assert.equal(cliAttempts.length, 6);
    // how often the CLI publishers had to rebuild on a newer tip
    console.log(`CLI publish attempts: ${cliAttempts.join(', ')}`);

    const commits = await commitsSince(setup.remote, base);
    assert.equal(commits.length, 20, commits.map((c) => c.subject).join('\n'));
    assert.ok(commits.every((c) => c.parents === 1), 'no merge commits');
    assert.equal(await runGit(setup.remote, ['rev-list', '--merges', 'main']), '');
    // one straight line: every commit's parent is the one before it
    const chain = (await runGit(setup.remote, ['rev-list', '--first-parent', `${base}..main`])).split('\n');
    assert.equal(chain.length, 20);
    const expected = specs.map((s) => `add ${s.name}@${s.version} ${s.target ?? 'luau'}`).sort();
    assert.deepEqual(commits.map((c) => c.subject).sort(), expected);
    assert.equal(await runGit(setup.remote, ['show', 'main:race/scope.toml']), 'owners = [0]');
    const shared = await runGit(setup.remote, ['show', 'main:race/shared']);
    assert.deepEqual([...shared.matchAll(/^\["([^"]+)"\]$/gm)].map((m) => m[1]), ['1.0.0 luau', '1.1.0 luau', '2.0.0-rc.1 luau']);

    for (const [r, replica] of replicas.entries()) {
      await replica.refresh();
      assert.equal(replica.state.commit, await runGit(setup.remote, ['rev-parse', 'main']), `replica ${r} is at the tip`);
      for (const spec of specs) {
        const res = await replica.get(`/v1/packages/${enc(spec.name)}/${enc(spec.version)}/${spec.target ?? 'luau'}`);
        assert.equal(res.status, 200, `replica ${r}: ${spec.name}@${spec.version}: ${res.text}`);
      }
      const all = (await replica.get(`/v1/packages/${enc('race/shared')}`)).json<{ versions: Record<string, unknown> }>();
      assert.deepEqual(Object.keys(all.versions).sort(), ['1.0.0', '1.1.0', '2.0.0-rc.1']);
    }

    const keys = await listS3Keys(s3);
    assert.equal(keys.filter((k) => k.endsWith('/pkg.tar.gz')).length, 20);
    const checker = await setup.cloneAnother('checker');
    const verified = await cli(['verify', '--index', checker, '--json'], { env: s3.env });
    assert.equal(verified.code, 0, verified.stdout + verified.stderr);
    const report = JSON.parse(verified.stdout) as { packages: number; versions: number; objectsChecked: number };
    assert.deepEqual({ packages: report.packages, versions: report.versions, objectsChecked: report.objectsChecked }, { packages: 18, versions: 20, objectsChecked: 20 });
  });
});
