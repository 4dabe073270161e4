import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { parseIndexFile } from '../../src/index-repo/package-file.js';
import { readArchive } from '../../src/package/archive-reader.js';
import { packDirectory } from '../../src/package/pack-directory.js';
import { cli } from '../helpers/cli.js';
import { runGit } from '../helpers/git.js';
import { listFiles, setupIndex } from '../helpers/index-setup.js';

async function writeFiles(dir: string, files: Record<string, string>): Promise<void> {
  for (const [file, content] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, file)), { recursive: true });
    await writeFile(path.join(dir, file), content);
  }
}

describe('pesde-registry publish <folder>', () => {
  let root: string;
  let cleanup: () => Promise<void>;
  let remote: string;
  let clone: string;
  let storage: string;

  before(async () => {
    ({ root, remote, clone, storage, cleanup } = await setupIndex());
  });
  after(() => cleanup());

  /** A library and an app depending on it through `[indices] default`, which names this index. */
  async function packages(): Promise<{ lib: string; app: string }> {
    const lib = path.join(root, 'lib');
    await writeFiles(lib, {
      'pesde.toml': `name = "acme/lib"
version = "1.0.0"
description = "A library"
license = "MIT"
includes = ["pesde.toml", "README.md", "src/**/*.luau", "!src/**/*.spec.luau", "docs/**"]

[target]
environment = "luau"
lib = "src/init.luau"

[indices]
default = "${remote}"

[scripts]
test = "scripts/test.luau"
`,
      'README.md': '# lib\n',
      'src/init.luau': 'return require("./util")\n',
      'src/util.luau': 'return {}\n',
      'src/util.spec.luau': 'error("not packed")\n',
      'docs/intro.md': '# Intro\nHello\n',
      'scripts/test.luau': 'print("not packed")\n',
      'notes.txt': 'not packed\n',
    });
    const app = path.join(root, 'app');
    await writeFiles(app, {
      'pesde.toml': `name = "acme/app"
version = "0.1.0"
includes = ["pesde.toml", "src/**"]

[target]
environment = "roblox"
lib = "src/init.luau"
build_files = ["src"]

[indices]
default = "${remote}"

[dependencies]
lib = { name = "acme/lib", version = "1", target = "luau" }
`,
      'src/init.luau': 'return {}\n',
    });
    return { lib, app };
  }

  it('packs the folder as pesde publish would, publishes it, and lists the files in a dry run', async () => {
    const { lib, app } = await packages();

    const dry = await cli(['publish', lib, '--index', clone, '--dry-run']);
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(dry.stdout, /acme\/lib@1\.0\.0 luau is valid; it would add:/);
    assert.match(dry.stdout, /it would publish these 5 files:\n {2}README\.md\n {2}docs\/intro\.md\n {2}pesde\.toml\n {2}src\/init\.luau\n {2}src\/util\.luau\n/);
    const dryJson = await cli(['publish', lib, '--index', clone, '--dry-run', '--json']);
    assert.equal(dryJson.code, 0, dryJson.stderr);
    const dryOut = JSON.parse(dryJson.stdout) as { dryRun: boolean; files: string[]; warnings: string[] };
    assert.deepEqual(dryOut.files, ['README.md', 'docs/intro.md', 'pesde.toml', 'src/init.luau', 'src/util.luau']);
    assert.deepEqual(dryOut.warnings, []);
    assert.deepEqual(await listFiles(storage), []);

    const published = await cli(['publish', lib, '--index', clone, '--storage-root', storage, '--json']);
    assert.equal(published.code, 0, published.stderr + published.stdout);
    const out = JSON.parse(published.stdout) as { name: string; commit: string; files: string[]; pushed: boolean };
    assert.equal(out.name, 'acme/lib');
    assert.equal(out.pushed, true);
    assert.equal(out.files.length, 5);
    assert.equal(await runGit(remote, ['rev-parse', 'main']), out.commit);
    assert.equal(await runGit(remote, ['log', '-1', '--format=%s', 'main']), 'add acme/lib@1.0.0 luau');

    // the stored archive is byte for byte what the packer makes, and holds the transformed manifest
    const stored = await readFile(path.join(storage, 'acme/lib/1.0.0/luau/pkg.tar.gz'));
    assert.ok(stored.equals((await packDirectory(lib)).archive));
    const manifest = (await readArchive(stored)).files.get('pesde.toml')?.toString() ?? '';
    assert.doesNotMatch(manifest, /\[indices\]|\[scripts\]/);
    assert.equal(gunzipSync(await readFile(path.join(storage, 'acme/lib/1.0.0/luau/readme.gz'))).toString(), '# lib\n');
    const entry = parseIndexFile(await runGit(remote, ['show', 'main:acme/lib'])).entries[0]?.entry;
    assert.equal(entry?.docs?.[0]?.label, 'Intro');

    // the app's `default` index is this registry's own: its dependency is accepted, as a URL
    const appResult = await cli(['publish', app, '--index', clone, '--storage-root', storage]);
    assert.equal(appResult.code, 0, appResult.stderr);
    assert.match(appResult.stderr, /warning: no README is included/);
    assert.match(appResult.stderr, /packed 2 files: pesde\.toml, src\/init\.luau/);
    assert.match(appResult.stdout, /published acme\/app@0\.1\.0 roblox \(commit [0-9a-f]{8}, pushed\)/);
    const appEntry = parseIndexFile(await runGit(remote, ['show', 'main:acme/app'])).entries[0]?.entry;
    assert.deepEqual(appEntry?.dependencies, { lib: [{ name: 'acme/lib', version: '^1', index: remote, target: 'luau' }, 'standard'] });
    assert.deepEqual(appEntry?.target, { environment: 'roblox', lib: 'src/init.luau', build_files: ['src'] });
  });

  it('refuses a folder pesde would refuse, changing nothing', async () => {
    const bad = path.join(root, 'bad');
    await writeFiles(bad, {
      'pesde.toml': 'name = "acme/bad"\nversion = "1.0.0"\nincludes = ["**"]\n[target]\nenvironment = "luau"\nlib = "init.luau"\n',
      'init.luau': 'return {}\n',
      'src/.DS_Store': '',
    });
    const before = await runGit(remote, ['rev-parse', 'main']);
    const storedBefore = await listFiles(storage);
    const result = await cli(['publish', bad, '--index', clone, '--storage-root', storage, '--json']);
    assert.equal(result.code, 3);
    const error = JSON.parse(result.stdout) as { error: string; code: string };
    assert.equal(error.code, 'invalid_package');
    assert.match(error.error, /"src\/\.DS_Store": \.DS_Store must not be published/);
    assert.equal(await runGit(remote, ['rev-parse', 'main']), before);
    assert.deepEqual(await listFiles(storage), storedBefore);

    const empty = path.join(root, 'empty');
    await mkdir(empty);
    const noManifest = await cli(['publish', empty, '--index', clone, '--storage-root', storage]);
    assert.equal(noManifest.code, 3);
    assert.match(noManifest.stderr, /has no pesde\.toml: pass the package folder/);
  });
});
