/**
 * `pesde-registry verify` through the real CLI: a clean index passes with its counts; each
 * kind of problem is found, on one line naming the file or `<name>@<version> <target>`, and
 * the exit code is 10; against file storage and against a real S3 API (s3rver); and the real
 * public index (780 files) parses in full.
 */
import assert from 'node:assert/strict';
import { cp, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DeleteObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { parseIndexFile } from '../../src/index-repo/package-file.js';
import { cli, type CliResult } from '../helpers/cli.js';
import { cloneFixtureIndex } from '../helpers/fixture-index.js';
import { runGit } from '../helpers/git.js';
import { listFiles, setupIndex, type IndexSetup } from '../helpers/index-setup.js';
import { writePackage, type PackageSpec } from '../helpers/package-fixture.js';
import { startS3, type TestS3 } from '../helpers/s3.js';

interface VerifyJson {
  ok: boolean;
  error?: string;
  exitCode?: number;
  packages: number;
  versions: number;
  objectsChecked: number;
  problems: Array<{ where: string; problem: string }>;
}

/** The problem lines of a text-mode run: everything on stderr but the step, warning and summary lines. */
function problemLines(result: CliResult): string[] {
  return result.stderr
    .split('\n')
    .filter((line) => line !== '' && !line.startsWith('Verifying ') && !line.startsWith('warning:') && !line.startsWith('error:'));
}

let setup: IndexSetup;
let s3: TestS3;
let docHash: string;
let n = 0;
let caseNo = 0;

async function publish(spec: PackageSpec): Promise<void> {
  const file = await writePackage(setup.root, `pkg-${++n}.tar.gz`, spec);
  const result = await cli(['publish', file, '--index', setup.clone, '--storage-root', setup.storage]);
  assert.equal(result.code, 0, result.stderr);
}

/** A fresh clone with one local commit that writes (or, with null, deletes) the files given. */
async function brokenClone(files: Record<string, string | null>): Promise<string> {
  const dir = await setup.cloneAnother(`case-${++caseNo}`);
  for (const [file, content] of Object.entries(files)) {
    if (content === null) await rm(path.join(dir, file));
    else await writeFile(path.join(dir, file), content);
  }
  await runGit(dir, ['commit', '--quiet', '--all', '-m', 'hand edit']);
  return dir;
}

/** A copy of the storage folder without the keys given. */
async function storageWithout(...keys: string[]): Promise<string> {
  const dir = path.join(setup.root, `storage-${++caseNo}`);
  await cp(setup.storage, dir, { recursive: true });
  for (const key of keys) await rm(path.join(dir, key));
  return dir;
}

const verify = (index: string, storage: string | null, extra: string[] = []): Promise<CliResult> =>
  cli(['verify', '--index', index, ...(storage === null ? [] : ['--storage-root', storage]), ...extra]);

before(async () => {
  setup = await setupIndex({ prefix: 'pesde-verify-' });
  await publish({
    name: 'acme/alpha',
    version: '1.0.0',
    files: { 'README.md': '# Alpha\n', 'docs/intro.md': '# Intro\n\nHello.' },
  });
  await publish({ name: 'acme/alpha', version: '1.1.0' });
  await publish({ name: 'acme/beta', version: '0.1.0', target: 'roblox' });
  await publish({ name: 'other/gamma', version: '2.0.0', target: 'lune' });
  await runGit(setup.clone, ['pull', '--quiet', '--ff-only']);
  const entry = parseIndexFile(await readFile(path.join(setup.clone, 'acme/alpha'), 'utf8')).entries[0]!.entry;
  const page = entry.docs?.[0];
  assert.ok(page !== undefined && 'hash' in page);
  docHash = page.hash;
  s3 = await startS3();
});

after(async () => {
  await s3?.dispose();
  await setup?.cleanup();
});

describe('verify with file storage', () => {
  it('passes a clean index with exit 0 and its counts', async () => {
    const text = await verify(setup.clone, setup.storage);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /index is consistent: 3 packages, 4 versions, 5 stored objects checked in [0-9.]+ s/);
    assert.deepEqual(problemLines(text), []);

    const json = await verify(setup.clone, setup.storage, ['--json']);
    assert.equal(json.code, 0, json.stderr);
    const report = JSON.parse(json.stdout) as VerifyJson;
    assert.equal(report.ok, true);
    assert.equal(report.packages, 3);
    assert.equal(report.versions, 4);
    // four archives and one doc page
    assert.equal(report.objectsChecked, 5);
    assert.deepEqual(report.problems, []);
  });

  it('checks the index alone, with a warning, when no storage is configured', async () => {
    const result = await verify(setup.clone, null);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, /^warning: no storage configured/m);
    assert.match(result.stdout, /3 packages, 4 versions, 0 stored objects checked/);
  });

  const cases: Array<{ name: string; prepare: () => Promise<{ index: string; storage: string }>; line: () => RegExp }> = [
    {
      name: 'a missing archive',
      prepare: async () => ({ index: setup.clone, storage: await storageWithout('acme/alpha/1.1.0/luau/pkg.tar.gz') }),
      line: () => /^acme\/alpha@1\.1\.0 luau: archive missing from storage \(file system at .+, key acme\/alpha\/1\.1\.0\/luau\/pkg\.tar\.gz\)$/,
    },
    {
      name: 'a missing doc page',
      prepare: async () => ({ index: setup.clone, storage: await storageWithout(`Doc/${docHash}.gz`) }),
      line: () => new RegExp(`^acme/alpha@1\\.0\\.0 luau: doc page ${docHash} missing from storage \\(file system at .+, key Doc/${docHash}\\.gz\\)$`),
    },
    {
      name: 'a package file that does not parse',
      prepare: async () => ({ index: await brokenClone({ 'acme/beta': '["0.1.0 roblox"]\npublished_at = \n' }), storage: setup.storage }),
      line: () => /^acme\/beta: invalid index file acme\/beta: not valid TOML \(line 2, column \d+: .+\)$/,
    },
    {
      name: 'entries out of version order',
      prepare: async () => {
        const text = await readFile(path.join(setup.clone, 'acme/alpha'), 'utf8');
        // one chunk per version: from its `["<version> <target>"]` header to the next one
        const versions = text.trimEnd().split(/\n\n(?=\["[^"\]]+"\]\n)/);
        assert.equal(versions.length, 2, text);
        const swapped = `${versions[1]}\n\n${versions[0]}\n`;
        return { index: await brokenClone({ 'acme/alpha': swapped }), storage: setup.storage };
      },
      line: () => /^acme\/alpha: entries are not in version order$/,
    },
    {
      name: 'a file that parses but is not what the official writer emits',
      prepare: async () => {
        const text = await readFile(path.join(setup.clone, 'acme/alpha'), 'utf8');
        return { index: await brokenClone({ 'acme/alpha': `# edited by hand\n${text}` }), storage: setup.storage };
      },
      line: () => /^acme\/alpha: not byte-identical to the official writer output \(re-serialising changes it\)$/,
    },
    {
      name: 'a bad scope.toml',
      prepare: async () => ({ index: await brokenClone({ 'acme/scope.toml': 'owners = "everyone"\n' }), storage: setup.storage }),
      line: () => /^acme\/scope\.toml: invalid scope file acme\/scope\.toml: expected `owners = \[<user id>, \.\.\.\]`/,
    },
    {
      name: 'a scope.toml with owners out of order',
      prepare: async () => ({ index: await brokenClone({ 'acme/scope.toml': 'owners = [7, 0]\n' }), storage: setup.storage }),
      line: () => /^acme\/scope\.toml: not in canonical form/,
    },
    {
      name: 'a package whose scope has no scope.toml',
      prepare: async () => ({ index: await brokenClone({ 'other/scope.toml': null }), storage: setup.storage }),
      line: () => /^other\/gamma: scope has no other\/scope\.toml, so nobody owns it$/,
    },
    {
      name: 'a config.toml without api',
      prepare: async () => ({ index: await brokenClone({ 'config.toml': 'git_allowed = true\n' }), storage: setup.storage }),
      line: () => /^config\.toml: .*api/,
    },
    {
      name: 'a config.toml that is not TOML',
      prepare: async () => ({ index: await brokenClone({ 'config.toml': 'api = "http://x\n' }), storage: setup.storage }),
      line: () => /^config\.toml: .*TOML/i,
    },
  ];
  for (const c of cases) {
    it(`finds ${c.name}: one line, exit 10`, async () => {
      const { index, storage } = await c.prepare();
      const result = await verify(index, storage);
      assert.equal(result.code, 10, result.stderr);
      const lines = problemLines(result);
      assert.equal(lines.length, 1, result.stderr);
      assert.match(lines[0]!, c.line());
      assert.match(result.stderr, /^error: 1 problem\(s\) found \(/m);
    });
  }

  it('reports every problem at once with --json, exit 10', async () => {
    const alpha = await readFile(path.join(setup.clone, 'acme/alpha'), 'utf8');
    const index = await brokenClone({
      'acme/alpha': `# edited\n${alpha}`,
      'acme/beta': 'not toml at all [',
      'acme/scope.toml': 'owners = [-1]\n',
      'config.toml': 'api = 12\n',
    });
    const storage = await storageWithout('other/gamma/2.0.0/lune/pkg.tar.gz', `Doc/${docHash}.gz`);
    const result = await verify(index, storage, ['--json']);
    assert.equal(result.code, 10, result.stderr);
    const report = JSON.parse(result.stdout) as VerifyJson;
    assert.equal(report.ok, false);
    assert.equal(report.exitCode, 10);
    assert.match(report.error ?? '', /^6 problem\(s\) found/);
    assert.deepEqual(report.problems.map((p) => p.where).sort(), [
      'acme/alpha',
      'acme/alpha@1.0.0 luau',
      'acme/beta',
      'acme/scope.toml',
      'config.toml',
      'other/gamma@2.0.0 lune',
    ]);
    // nothing on stderr in --json mode: one JSON object is the whole output
    assert.equal(result.stdout.trim().split('\n').length, 1);
  });
});

describe('verify with S3 storage (s3rver)', () => {
  const s3Flags = () => ['--s3-endpoint', s3.endpoint, '--s3-bucket', s3.bucket, '--s3-region', s3.region, '--s3-access-key', s3.accessKeyId, '--s3-secret-key', s3.secretAccessKey];

  before(async () => {
    // the same objects as the file storage, under the same keys
    for (const key of await listFiles(setup.storage)) {
      await s3.client.send(new PutObjectCommand({ Bucket: s3.bucket, Key: key, Body: await readFile(path.join(setup.storage, key)) }));
    }
  });

  it('passes when the bucket holds every object', async () => {
    const result = await cli(['verify', '--index', setup.clone, ...s3Flags(), '--json']);
    assert.equal(result.code, 0, result.stdout + result.stderr);
    const report = JSON.parse(result.stdout) as VerifyJson;
    assert.equal(report.objectsChecked, 5);
  });

  it('names each missing archive and doc page (storage settings from the environment)', async () => {
    await s3.client.send(new DeleteObjectCommand({ Bucket: s3.bucket, Key: 'acme/beta/0.1.0/roblox/pkg.tar.gz' }));
    await s3.client.send(new DeleteObjectCommand({ Bucket: s3.bucket, Key: `Doc/${docHash}.gz` }));
    const result = await cli(['verify', '--index', setup.clone], { env: s3.env });
    assert.equal(result.code, 10, result.stderr);
    const lines = problemLines(result).sort();
    assert.equal(lines.length, 2, result.stderr);
    assert.match(lines[0]!, new RegExp(`^acme/alpha@1\\.0\\.0 luau: doc page ${docHash} missing from storage \\(S3 bucket ${s3.bucket} at ${s3.endpoint}, key Doc/${docHash}\\.gz\\)$`));
    assert.match(lines[1]!, /^acme\/beta@0\.1\.0 roblox: archive missing from storage \(S3 bucket .+, key acme\/beta\/0\.1\.0\/roblox\/pkg\.tar\.gz\)$/);
  });

  it('fails on one line when the store cannot be reached', async () => {
    await s3.stop();
    try {
      const result = await cli(['verify', '--index', setup.clone], { env: s3.env });
      assert.equal(result.code, 8, result.stderr);
      assert.equal(problemLines(result).length, 0, result.stderr);
      assert.match(result.stderr, /^error: could not list .+ in S3 bucket/m);
    } finally {
      await s3.restart();
    }
  });
});

describe('verify on the real public index', () => {
  // Written by older versions of the official registry or edited by hand: nanosecond
  // timestamps with trailing zeros, dependencies not in sorted order, owners not sorted.
  const NOT_CANONICAL = [
    'avafe/bootloader',
    'avafe/enum_ser_des',
    'avafe/humanoid_describer',
    'avafe/wrapper',
    'caveful_games/scope.toml',
    'codeforge11/rosetoy',
    'corecii/greentea_t_standalone',
    'dancodesrbx/soundmanager',
    'deen24id/odd_even',
    'kimpure/project_fast_setup',
    'leostormer/ragdoll_system',
    'pesde/scope.toml',
    'synpixel/fusion_jecs',
    'yetanotherclown/luau_futures',
  ];

  it('parses all 780 files and reports exactly the 14 that are not byte-canonical', async () => {
    const dir = await cloneFixtureIndex();
    const files = (await runGit(dir, ['ls-tree', '-r', '--name-only', 'HEAD'])).split('\n');
    assert.equal(files.length, 780);
    const scopes = files.filter((f) => f.endsWith('/scope.toml')).length;
    const result = await verify(dir, null, ['--json']);
    const report = JSON.parse(result.stdout) as VerifyJson;
    // every file but config.toml and the scope files is a package file, and each one parsed
    assert.equal(report.packages + scopes + 1, 780);
    assert.equal(report.packages, 599);
    assert.equal(report.versions, 3159);
    assert.deepEqual(report.problems.map((p) => p.where).sort(), NOT_CANONICAL);
    for (const p of report.problems) assert.match(p.problem, /^(not byte-identical to the official writer output|not in canonical form)/, `${p.where}: ${p.problem}`);
    assert.equal(result.code, 10);
  });
});
