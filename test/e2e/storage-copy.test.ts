/**
 * `pesde-registry storage copy` through the real CLI: file system -> S3 (s3rver) -> file
 * system, of what the index references or of everything; a SIGKILL in the middle and a
 * rerun that resumes (skipping what is there by size and MD5); `verify` clean on every
 * destination; and the refusals: the same storage twice, keys in a flag, a destination
 * that cannot be written (exit 8, nothing under the final key).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { BIN, cli, type CliResult } from '../helpers/cli.js';
import { GIT_TEST_ENV } from '../helpers/git.js';
import { listFiles, listS3Keys, setupIndex, type IndexSetup } from '../helpers/index-setup.js';
import { writePackage, type PackageSpec } from '../helpers/package-fixture.js';
import { startS3, type TestS3 } from '../helpers/s3.js';

interface CopyJson {
  ok: boolean;
  objects: number;
  bytes: number;
  copied: number;
  copiedBytes: number;
  skipped: number;
  failed: Array<{ key: string; problem: string }>;
  error?: string;
  exitCode?: number;
}

let setup: IndexSetup;
let s3: TestS3;
let referenced: string[];
let n = 0;

const ORPHAN = 'acme/orphan/9.9.9/luau/pkg.tar.gz';

async function publish(spec: PackageSpec): Promise<void> {
  const file = await writePackage(setup.root, `pkg-${++n}.tar.gz`, spec);
  const result = await cli(['publish', file, '--index', setup.clone, '--storage-root', setup.storage]);
  assert.equal(result.code, 0, result.stderr);
}

const s3Spec = (t: TestS3) => `s3://${t.bucket}?endpoint=${encodeURIComponent(t.endpoint)}&region=${t.region}`;
const keysEnv = (t: TestS3, side: 'FROM' | 'TO') => ({ [`${side}_S3_ACCESS_KEY`]: t.accessKeyId, [`${side}_S3_SECRET_KEY`]: t.secretAccessKey });

function copy(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  return cli(['storage', 'copy', ...args], { env });
}

async function copyJson(args: string[], env: Record<string, string> = {}): Promise<CopyJson> {
  const result = await copy(['--json', ...args], env);
  assert.equal(result.code, 0, result.stdout + result.stderr);
  return JSON.parse(result.stdout) as CopyJson;
}

before(async () => {
  setup = await setupIndex({ prefix: 'pesde-copy-' });
  await publish({ name: 'acme/alpha', version: '1.0.0', files: { 'README.md': '# Alpha\n', 'docs/intro.md': '# Intro\n\nHello.' } });
  await publish({ name: 'acme/beta', version: '0.2.0', target: 'lune' });
  referenced = await listFiles(setup.storage);
  await mkdir(path.join(setup.storage, path.dirname(ORPHAN)), { recursive: true });
  await writeFile(path.join(setup.storage, ORPHAN), 'not referenced');
  s3 = await startS3({ bucket: 'copy-target' });
});

after(async () => {
  await s3?.dispose();
  await setup?.cleanup();
});

describe('storage copy of what the index references', () => {
  it('copies fs -> S3, skips all of it the second time, and verify is clean on S3', async () => {
    const first = await copyJson(['--index', setup.clone, '--from', `fs:${setup.storage}`, '--to', s3Spec(s3)], keysEnv(s3, 'TO'));
    assert.deepEqual([first.objects, first.copied, first.skipped, first.failed.length], [referenced.length, referenced.length, 0, 0]);
    assert.deepEqual(await listS3Keys(s3), referenced, 'the orphan is not copied');
    const verify = await cli(['verify', '--index', setup.clone], { env: s3.env });
    assert.equal(verify.code, 0, verify.stderr);

    const second = await copyJson(['--index', setup.clone, '--from', `fs:${setup.storage}`, '--to', s3Spec(s3)], keysEnv(s3, 'TO'));
    assert.deepEqual([second.copied, second.skipped], [0, referenced.length]);
  });

  it('copies S3 -> fs byte for byte and recopies an object whose bytes differ at the same size', async () => {
    const dest = path.join(setup.root, 'from-s3');
    const text = await copy(['--index', setup.clone, '--from', s3Spec(s3), '--to', dest], keysEnv(s3, 'FROM'));
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, new RegExp(`^✔ ${referenced.length} objects \\(.+\\): ${referenced.length} copied \\(.+\\), 0 already there, 0 failed, in [0-9.]+ s$`, 'm'));
    assert.ok(!(text.stdout + text.stderr).includes(s3.secretAccessKey + '@') && !(text.stdout + text.stderr).includes('S3RVER:'), 'no keys in the output');
    assert.deepEqual(await listFiles(dest), referenced);
    for (const key of referenced) assert.ok((await readFile(path.join(dest, key))).equals(await readFile(path.join(setup.storage, key))), key);
    assert.equal((await cli(['verify', '--index', setup.clone, '--storage-root', dest])).code, 0);

    const archive = referenced.find((k) => k.endsWith('pkg.tar.gz'))!;
    const original = await readFile(path.join(dest, archive));
    await writeFile(path.join(dest, archive), Buffer.alloc(original.length, 7));
    const again = await copyJson(['--index', setup.clone, '--from', s3Spec(s3), '--to', dest], keysEnv(s3, 'FROM'));
    assert.deepEqual([again.copied, again.skipped], [1, referenced.length - 1]);
    assert.ok((await readFile(path.join(dest, archive))).equals(original));
  });

  it('reports objects the source lacks, copies the rest, and exits 8', async () => {
    const partial = path.join(setup.root, 'partial-source');
    await copyJson(['--index', setup.clone, '--from', `fs:${setup.storage}`, '--to', partial]);
    const doc = referenced.find((k) => k.startsWith('Doc/'))!;
    await rm(path.join(partial, doc));
    const dest = path.join(setup.root, 'partial-dest');
    const result = await copy(['--json', '--index', setup.clone, '--from', partial, '--to', dest]);
    assert.equal(result.code, 8, result.stderr);
    const json = JSON.parse(result.stdout) as CopyJson;
    assert.deepEqual(json.failed.map((f) => f.key), [doc]);
    assert.match(json.failed[0]!.problem, /^missing from file system at /);
    assert.deepEqual(await listFiles(dest), referenced.filter((k) => k !== doc));
  });
});

describe('storage copy --all with a kill in the middle', () => {
  const COUNT = 1500;
  let source: string;
  let back: string;
  before(async () => {
    source = path.join(setup.root, 'many');
    for (let i = 0; i < COUNT; i++) {
      const key = `bulk/p${i % 50}/1.0.${i}/luau/pkg.tar.gz`;
      await mkdir(path.join(source, path.dirname(key)), { recursive: true });
      await writeFile(path.join(source, key), `object ${i} `.repeat(40));
    }
    back = path.join(setup.root, 'many-back');
  });

  it('resumes fs -> S3 after SIGKILL, then copies S3 -> fs; every object arrives whole', async () => {
    const bucket = await startS3({ bucket: 'bulk-target' });
    try {
      const child = spawn(process.execPath, [BIN, 'storage', 'copy', '--all', '--concurrency', '4', '--from', `fs:${source}`, '--to', s3Spec(bucket)], {
        env: { ...process.env, ...GIT_TEST_ENV, CI: 'true', ...keysEnv(bucket, 'TO') },
        stdio: 'ignore',
      });
      let exited = false;
      child.on('exit', () => (exited = true));
      let landed = 0;
      for (let i = 0; i < 400 && landed < 100; i++) {
        await sleep(25);
        landed = (await listS3Keys(bucket)).length;
      }
      assert.ok(!exited, 'the copy was still running when killed');
      child.kill('SIGKILL');
      await new Promise((resolve) => child.once('exit', resolve));
      const before = (await listS3Keys(bucket)).length;
      assert.ok(before >= 100 && before < COUNT, `${before} of ${COUNT} objects copied before the kill`);

      const resumed = await copyJson(['--all', '--from', `fs:${source}`, '--to', s3Spec(bucket)], keysEnv(bucket, 'TO'));
      assert.equal(resumed.objects, COUNT);
      assert.ok(resumed.skipped >= before - 4 && resumed.skipped <= before, `${resumed.skipped} skipped, ${before} were there`);
      assert.equal(resumed.copied + resumed.skipped, COUNT);
      assert.equal((await listS3Keys(bucket)).length, COUNT);

      const home = await copyJson(['--all', '--from', s3Spec(bucket), '--to', `fs:${back}`], keysEnv(bucket, 'FROM'));
      assert.deepEqual([home.copied, home.failed.length], [COUNT, 0]);
      const files = await listFiles(back);
      assert.equal(files.length, COUNT, 'no temporary files left either');
      for (const key of files.filter((_, i) => i % 97 === 0)) assert.ok((await readFile(path.join(back, key))).equals(await readFile(path.join(source, key))), key);
    } finally {
      await bucket.dispose();
    }
  });
});

describe('storage copy refusals', () => {
  it('refuses the same storage as source and destination, or one folder inside the other', async () => {
    for (const [from, to] of [
      [setup.storage, `fs:${setup.storage}/`],
      [setup.storage, path.join(setup.storage, 'acme')],
      [path.join(setup.storage, 'acme'), setup.storage],
    ]) {
      const result = await copy(['--index', setup.clone, '--from', from!, '--to', to!]);
      assert.equal(result.code, 2, `${from} -> ${to}: ${result.stderr}`);
      assert.match(result.stderr, /--from and --to name the same storage/);
    }
    const same = await copy(['--index', setup.clone, '--from', s3Spec(s3), '--to', s3Spec(s3).replace('127.0.0.1', '127.0.0.1')], { ...keysEnv(s3, 'FROM'), ...keysEnv(s3, 'TO') });
    assert.equal(same.code, 2, same.stderr);
  });

  it('refuses keys in the flag without printing them, and unknown settings', async () => {
    const result = await copy(['--index', setup.clone, '--from', setup.storage, '--to', `s3://AKIDSECRET:hunter2secret@bucket?endpoint=http://127.0.0.1:1&region=x`]);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /--to: put no keys in the value; set TO_S3_ACCESS_KEY and TO_S3_SECRET_KEY/);
    assert.doesNotMatch(result.stderr + result.stdout, /hunter2|AKIDSECRET/);
    const unknown = await copy(['--index', setup.clone, '--from', setup.storage, '--to', 's3://b?endpoint=http://127.0.0.1:1&region=x&secret=hunter2']);
    assert.equal(unknown.code, 2);
    assert.doesNotMatch(unknown.stderr, /hunter2/);
    const missing = await copy(['--index', setup.clone, '--from', setup.storage]);
    assert.equal(missing.code, 2);
  });

  it('stops with exit 8 at the first object the destination refuses, with nothing under its key', async () => {
    const dest = path.join(setup.root, 'blocked');
    await mkdir(dest, { recursive: true });
    // `acme` is a file, so nothing can be written under acme/
    await writeFile(path.join(dest, 'acme'), 'in the way');
    const result = await copy(['--index', setup.clone, '--from', setup.storage, '--to', dest, '--concurrency', '1']);
    assert.equal(result.code, 8, result.stderr);
    assert.match(result.stderr, /^error: could not write acme\/alpha\/1\.0\.0\/luau\/pkg\.tar\.gz to file system at .*blocked: /m);
    assert.deepEqual((await listFiles(dest)).filter((f) => f.startsWith('acme/')), []);

    const noBucket = await copy(['--index', setup.clone, '--from', setup.storage, '--to', s3Spec(s3).replace('copy-target', 'no-such-bucket')], keysEnv(s3, 'TO'));
    assert.equal(noBucket.code, 8, noBucket.stderr);
    // the destination is listed before the first write, so a missing bucket stops it there
    assert.match(noBucket.stderr, /^error: could not list all keys in S3 bucket no-such-bucket at http:\/\/127\.0\.0\.1:\d+: HTTP 404 NoSuchBucket/m);
  });
});
