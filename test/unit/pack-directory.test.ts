import assert from 'node:assert/strict';
import { chmod, mkdir, readFile, symlink, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { parse as parseToml } from 'smol-toml';
import { Parser } from 'tar';
import { RegistryError } from '../../src/errors.js';
import type { ErrorKind } from '../../src/errors.js';
import type { IndexConfig } from '../../src/index-repo/types.js';
import { readArchive } from '../../src/package/archive-reader.js';
import { inspectPackage } from '../../src/package/inspect-package.js';
import { parseManifest } from '../../src/package/manifest.js';
import { packDirectory } from '../../src/package/pack-directory.js';
import { compileGlob, GlobSyntaxError } from '../../src/package/pesde-glob.js';
import { tempDir } from '../helpers/git.js';
import { MANIFEST_FIXTURES } from '../helpers/shared-fixtures.js';

const FIXTURES = MANIFEST_FIXTURES;
const PESDE_INDEX = 'https://github.com/pesde-pkg/index';
const WALLY_INDEX = 'https://github.com/UpliftGames/wally-index';

const CONFIG: IndexConfig = {
  api: 'https://registry.acme.test',
  git_allowed: true,
  other_registries_allowed: true,
  wally_allowed: true,
  max_archive_size: 4 * 1024 * 1024,
  scripts_packages: [],
};

let root: string;
let cleanup: () => Promise<void>;
let n = 0;

before(async () => {
  ({ dir: root, cleanup } = await tempDir('pack-directory-'));
});
after(() => cleanup());

/** A package folder in a fresh temp dir: relative path -> content. */
async function folder(files: Record<string, string>, name = `pkg-${++n}`): Promise<string> {
  const dir = path.join(root, name);
  await writeFiles(dir, files);
  return dir;
}

async function writeFiles(dir: string, files: Record<string, string>): Promise<void> {
  for (const [file, content] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, file)), { recursive: true });
    await writeFile(path.join(dir, file), content);
  }
}

/** Entry paths and headers as any tar reader sees them. */
async function tarEntries(archive: Buffer): Promise<Array<{ path: string; type: string; mode: number; uid: number; gid: number; mtime: number; body: string }>> {
  const entries: Array<{ path: string; type: string; mode: number; uid: number; gid: number; mtime: number; body: string }> = [];
  const parser = new Parser({
    onReadEntry: (entry) => {
      const chunks: Buffer[] = [];
      entry.on('data', (c: Buffer) => chunks.push(c));
      entry.on('end', () =>
        entries.push({ path: entry.path, type: entry.type, mode: entry.mode ?? -1, uid: entry.uid ?? -1, gid: entry.gid ?? -1, mtime: entry.mtime?.getTime() ?? -1, body: Buffer.concat(chunks).toString() }),
      );
    },
  });
  await new Promise<void>((resolve, reject) => {
    parser.on('end', resolve);
    parser.on('error', reject);
    parser.end(gunzipSync(archive));
  });
  return entries;
}

async function refusal(dir: string, pattern: RegExp, kind: ErrorKind = 'invalid_package', opts = {}): Promise<string> {
  try {
    await packDirectory(dir, opts);
  } catch (error) {
    assert.ok(error instanceof RegistryError, String(error));
    assert.equal(error.kind, kind, error.message);
    assert.ok(!error.message.includes('\n'), error.message);
    assert.match(error.message, pattern);
    return error.message;
  }
  assert.fail('expected the folder to be refused');
}

const inspect = (archive: Buffer) => inspectPackage(archive, { config: CONFIG, ownIndexUrls: [PESDE_INDEX] });

const LUAU_HEAD = `name = "acme/pkg"
version = "1.0.0"
`;

describe('compileGlob: wax 0.6 semantics', () => {
  const cases: Array<[string, string[], string[]]> = [
    ['src', ['src'], ['src/init.luau']],
    ['src/**', ['src', 'src/a', 'src/a/b.luau'], ['srcx', 'x/src']],
    ['src/**/*', ['src/a', 'src/a/b'], ['src']],
    ['**/*.luau', ['a.luau', 'x/y/a.luau', '.hidden.luau'], ['a.lua', 'a.luau/x']],
    ['*', ['a', '.git', '.luaurc'], ['a/b']],
    ['**', ['a', 'a/b/c'], []],
    ['src/*.{luau,lua}', ['src/a.luau', 'src/a.lua'], ['src/a.txt', 'src/x/a.lua']],
    ['[!a]*.md', ['b.md', 'README.md'], ['a.md']],
    ['[a-c]?.luau', ['ax.luau', 'cz.luau'], ['dx.luau', 'a/.luau']],
    ['a/**/b', ['a/b', 'a/x/b', 'a/x/y/b'], ['ab', 'a/bb']],
    ['{src,lib}/**', ['src/a', 'lib', 'lib/x/y'], ['other/a']],
    ['<a/:2>b', ['a/a/b'], ['a/b', 'a/a/a/b']],
    ['(?i)readme.md', ['README.MD', 'readme.md'], ['readme.txt']],
    ['file\\(1\\).luau', ['file(1).luau'], ['file1.luau']],
    ['a$.luau', ['a.luau', 'abc.luau'], ['a/b.luau']],
  ];
  for (const [glob, yes, no] of cases) {
    it(`${glob} matches ${yes.join(', ') || 'anything'}${no.length > 0 ? ` but not ${no.join(', ')}` : ''}`, () => {
      const regex = compileGlob(glob);
      for (const p of yes) assert.ok(regex.test(p), `${glob} should match ${p}`);
      for (const p of no) assert.ok(!regex.test(p), `${glob} should not match ${p}`);
    });
  }

  it('refuses what wax refuses', () => {
    for (const glob of ['src/**.luau', 'file(1).luau', 'a//b', '**/**', 'a,b', '{a,}', '[]', 'a\\b', '***', '*$', '[a-]', 'src/{a']) {
      assert.throws(() => compileGlob(glob), GlobSyntaxError, glob);
    }
  });
});

describe('packDirectory: files', () => {
  it('packs what includes selects, negated globs excluded, README and docs when included', async () => {
    const dir = await folder({
      'pesde.toml': `${LUAU_HEAD}includes = ["pesde.toml", "README.md", "LICENSE", "src/**/*.luau", "!src/**/*.spec.luau", "docs/**/*.md"]\n[target]\nenvironment = "luau"\nlib = "src/init.luau"\n`,
      'README.md': '# Pkg\n',
      LICENSE: 'MIT\n',
      'src/init.luau': 'return {}\n',
      'src/util/strings.luau': 'return 1\n',
      'src/util/strings.spec.luau': 'error()\n',
      'src/notes.txt': 'not luau\n',
      'docs/intro.md': '# Intro\n',
      'docs/guides/first.md': '# First\n',
      'docs/guides/_category_.json': '{}',
      'tests/run.luau': 'return nil\n',
      'nested/pesde.toml': 'name = "x/y"\n',
    });
    const packed = await packDirectory(dir);
    assert.deepEqual(packed.files, ['LICENSE', 'README.md', 'docs/guides/first.md', 'docs/intro.md', 'pesde.toml', 'src/init.luau', 'src/util/strings.luau']);
    assert.deepEqual(packed.warnings, []);
    const entries = await tarEntries(packed.archive);
    assert.deepEqual(entries.map((e) => e.path), packed.files);
    assert.equal(entries.find((e) => e.path === 'pesde.toml')?.body, packed.manifest);
    assert.equal(entries.find((e) => e.path === 'src/init.luau')?.body, 'return {}\n');
  });

  it('adds pesde.toml, the lib, bin and scripts when includes misses them, and warns as pesde does', async () => {
    const dir = await folder({
      'pesde.toml': `${LUAU_HEAD}includes = ["src/**"]\n[target]\nenvironment = "lune"\nlib = "lib.luau"\nbin = "bin/main.luau"\n[target.scripts]\nsync = "scripts/sync.luau"\n`,
      'src/a.luau': '',
      'lib.luau': 'return {}',
      'bin/main.luau': 'print()',
      'bin/other.luau': 'print()',
      'scripts/sync.luau': 'return nil',
    });
    const packed = await packDirectory(dir);
    assert.deepEqual(packed.files, ['bin/main.luau', 'lib.luau', 'pesde.toml', 'scripts/sync.luau', 'src/a.luau']);
    assert.equal(packed.warnings.length, 6, packed.warnings.join('\n'));
    assert.match(packed.warnings.join('\n'), /pesde\.toml is not matched by includes/);
    assert.match(packed.warnings.join('\n'), /target\.bin \(bin\/main\.luau\) is not matched/);
    assert.match(packed.warnings.join('\n'), /script sync \(scripts\/sync\.luau\)/);
    assert.match(packed.warnings.join('\n'), /no README/);
    assert.match(packed.warnings.join('\n'), /no docs folder/);
  });

  it('matches a bare folder name as pesde does (the folder, not its files) and says so', async () => {
    const dir = await folder({
      'pesde.toml': `${LUAU_HEAD}includes = ["pesde.toml", "src"]\n[target]\nenvironment = "roblox"\nlib = "src/init.luau"\nbuild_files = ["src"]\n`,
      'src/init.luau': 'return require(script.other)',
      'src/other.luau': 'return 1',
    });
    const packed = await packDirectory(dir);
    assert.deepEqual(packed.files, ['pesde.toml', 'src/init.luau']);
    assert.match(packed.warnings.join('\n'), /includes matches the folder "src" but none of the files in it .*write "src\/\*\*"/);
  });

  it('packs a symbolic link to a file inside the package as the file, and never follows a link to a folder', async () => {
    const outside = await folder({ 'deep/x.luau': 'return 1' });
    const dir = await folder({
      'pesde.toml': `${LUAU_HEAD}includes = ["**"]\n[target]\nenvironment = "luau"\nlib = "init.luau"\n`,
      'init.luau': 'return {}',
      'licences/MIT': 'shared licence\n',
    });
    await symlink(path.join(dir, 'licences', 'MIT'), path.join(dir, 'LICENSE'));
    await symlink(outside, path.join(dir, 'linked'));
    const packed = await packDirectory(dir);
    assert.deepEqual(packed.files, ['LICENSE', 'init.luau', 'licences/MIT', 'pesde.toml']);
    const licence = (await tarEntries(packed.archive)).find((e) => e.path === 'LICENSE');
    assert.equal(licence?.type, 'File');
    assert.equal(licence?.body, 'shared licence\n');
  });

  it('refuses a symbolic link to a file outside the package folder (stricter than pesde)', async () => {
    const outside = await folder({ 'secret.env': 'TOKEN=hunter2\n' });
    const dir = await folder({
      'pesde.toml': `${LUAU_HEAD}includes = ["**"]\n[target]\nenvironment = "luau"\nlib = "init.luau"\n`,
      'init.luau': 'return {}',
    });
    await symlink(path.join(outside, 'secret.env'), path.join(dir, 'config.env'));
    await assert.rejects(packDirectory(dir), (error: Error) => {
      assert.match(error.message, /^included file "config\.env" is a symbolic link to .*secret\.env, outside the package folder: copy the file into the package or exclude it from includes$/);
      return true;
    });
  });

  it('is reproducible: same bytes whatever the mtimes, owner 0:0, modes 0644/0755', async () => {
    const files = {
      'pesde.toml': `${LUAU_HEAD}includes = ["**/*.luau", "pesde.toml"]\n[target]\nenvironment = "luau"\nbin = "main.luau"\n`,
      'main.luau': 'print("hi")',
      'a/b.luau': 'return 1',
    };
    const first = await folder(files);
    const second = await folder(files);
    await utimes(path.join(second, 'main.luau'), new Date(2001, 1, 1), new Date(2001, 1, 1));
    await chmod(path.join(second, 'a/b.luau'), 0o664);
    await chmod(path.join(first, 'main.luau'), 0o775);
    await chmod(path.join(second, 'main.luau'), 0o700);
    const a = await packDirectory(first);
    const b = await packDirectory(second);
    assert.ok(a.archive.equals(b.archive));
    assert.equal(a.archive[9], 3, 'gzip OS byte is fixed');
    const entries = await tarEntries(a.archive);
    assert.deepEqual(entries.map((e) => [e.path, e.mode.toString(8), e.uid, e.gid, e.mtime]), [
      ['a/b.luau', '644', 0, 0, 0],
      ['main.luau', '755', 0, 0, 0],
      ['pesde.toml', '644', 0, 0, 0],
    ]);
  });

  it('writes long paths so the registry reads them back', async () => {
    const long = `${'deep/'.repeat(30)}module_with_a_long_name.luau`;
    const dir = await folder({
      'pesde.toml': `${LUAU_HEAD}includes = ["pesde.toml", "src/**"]\n[target]\nenvironment = "luau"\nlib = "src/init.luau"\n`,
      'src/init.luau': 'return {}',
      [`src/${long}`]: 'return 1',
    });
    const packed = await packDirectory(dir);
    const contents = await readArchive(packed.archive);
    assert.deepEqual(contents.entries.map((e) => e.path), ['pesde.toml', 'src/init.luau', `src/${long}`].sort());
  });
});

describe('packDirectory: the manifest', () => {
  it('writes what pesde uploads: index URLs, client-only fields dropped, normalised, unknown keys kept', async () => {
    const dir = await folder({
      'pesde.toml': `name = "acme/app"
version = "1.2.3"
description = "An app"
authors = ["Ann"]
repository = "https://GitHub.com/acme/app"
license = "MIT"
includes = ["pesde.toml", "src/**", "assets/**"]
homepage = "https://acme.test"
ratio = 1.5

[target]
environment = "roblox"
lib = "src/init.luau"
build_files = ["assets", "src"]
bin = "ignored-by-serde.luau"

[engines]
lune = "0.8"
pesde = "^0.7"

[indices]
default = "${PESDE_INDEX}"
other = "https://github.com/acme/other-index"

[wally_indices]
default = "${WALLY_INDEX}"

[scripts]
roblox_sync_config_generator = ".pesde/sync.luau"

[overrides]
"a>b" = { name = "acme/b", version = "1.0.0" }

[patches]

[place]
shared = "game.ReplicatedStorage.Packages"

[dependencies]
zeta = { name = "acme/zeta", version = "1.2" }
Alpha = { wally = "acme/alpha", version = "^0.3.1" }
mid = { name = "acme/mid", version = ">=1, <2", index = "other", target = "luau" }

[peer_dependencies]
tool = { repo = "acme/tool", rev = "v1", path = "pkg" }

[dev_dependencies]
tester = { name = "acme/tester", version = "=0.1.0" }

[custom]
value = 3
`.replace('bin = "ignored-by-serde.luau"\n', ''),
      'src/init.luau': 'return {}',
      'assets/logo.png': 'png',
    });
    const packed = await packDirectory(dir);
    assert.deepEqual(packed.warnings.filter((w) => !/README|docs/.test(w)), [
      'pesde.toml: ratio is left out of the packed manifest: it holds a float or a date, which pesde-registry does not write back (registries ignore unknown fields)',
    ]);
    assert.equal(packed.indexUrl, PESDE_INDEX);
    assert.equal(
      packed.manifest,
      `name = "acme/app"
version = "1.2.3"
description = "An app"
license = "MIT"
authors = ["Ann"]
repository = "https://github.com/acme/app"
private = false
includes = ["pesde.toml", "src/**", "assets/**"]
homepage = "https://acme.test"

[target]
environment = "roblox"
lib = "src/init.luau"
build_files = ["assets", "src"]

[engines]
pesde = "^0.7"
lune = "^0.8"

[dependencies.Alpha]
wally = "wally#acme/alpha"
version = "^0.3.1"
index = "${WALLY_INDEX}"

[dependencies.mid]
name = "acme/mid"
version = ">=1, <2"
index = "https://github.com/acme/other-index"
target = "luau"

[dependencies.zeta]
name = "acme/zeta"
version = "^1.2"
index = "${PESDE_INDEX}"

[peer_dependencies.tool]
repo = "https://github.com/acme/tool"
rev = "v1"
path = "pkg"

[dev_dependencies.tester]
name = "acme/tester"
version = "=0.1.0"
index = "${PESDE_INDEX}"

[custom]
value = 3
`,
    );
    // what the registry reads back
    const parsed = parseManifest(packed.manifest);
    assert.equal(parsed.version, '1.2.3');
    const raw = parseToml(packed.manifest);
    for (const field of ['scripts', 'indices', 'wally_indices', 'overrides', 'patches', 'place']) assert.ok(!(field in raw), field);
    assert.deepEqual(packed.files, ['assets/logo.png', 'pesde.toml', 'src/init.luau']);
  });

  it('adds the lib folder to roblox build_files, and drops fields the target kind does not have', async () => {
    const dir = await folder({
      'pesde.toml': `${LUAU_HEAD}includes = ["pesde.toml", "lib/**", "assets/**"]\n[target]\nenvironment = "roblox_server"\nlib = "lib/init.luau"\nbuild_files = ["assets"]\n`,
      'lib/init.luau': 'return {}',
      'assets/a.txt': 'a',
    });
    const packed = await packDirectory(dir);
    assert.match(packed.manifest, /\[target\]\nenvironment = "roblox_server"\nlib = "lib\/init\.luau"\nbuild_files = \["assets", "lib"\]\n/);
    assert.match(packed.warnings.join('\n'), /target\.lib lies in "lib", which is not in build_files; added it/);

    const lune = await folder({
      'pesde.toml': `${LUAU_HEAD}includes = ["pesde.toml", "init.luau"]\n[target]\nenvironment = "lune"\nlib = "init.luau"\nbuild_files = ["src"]\nincludes = ["x"]\n`,
      'init.luau': 'return {}',
    });
    assert.equal((await packDirectory(lune)).manifest, `${LUAU_HEAD}private = false\nincludes = ["pesde.toml", "init.luau"]\n\n[target]\nenvironment = "lune"\nlib = "init.luau"\n`);
  });

  it('keeps an index already written as a URL (a manifest pesde itself uploaded)', async () => {
    const dir = await folder({
      'pesde.toml': `${LUAU_HEAD}includes = ["pesde.toml", "init.luau"]\n[target]\nenvironment = "luau"\nlib = "init.luau"\n[dependencies]\nx = { name = "acme/x", version = "^1.0.0", index = "${PESDE_INDEX}" }\n`,
      'init.luau': 'return {}',
    });
    assert.match((await packDirectory(dir)).manifest, new RegExp(`\\[dependencies\\.x\\]\\nname = "acme/x"\\nversion = "\\^1\\.0\\.0"\\nindex = "${PESDE_INDEX}"\\n`));
  });

  it('turns workspace dependencies into dependencies on the members’ versions', async () => {
    const ws = path.join(root, `ws-${++n}`);
    await writeFiles(ws, {
      'pesde.toml': `name = "acme/workspace"\nversion = "0.0.0"\nprivate = true\nworkspace_members = ["packages/*"]\n[target]\nenvironment = "luau"\n`,
      'packages/core/pesde.toml': `name = "acme/core"\nversion = "2.3.4"\n[target]\nenvironment = "luau"\nlib = "init.luau"\n[indices]\ndefault = "${PESDE_INDEX}"\n`,
      'packages/core_lune/pesde.toml': `name = "acme/core"\nversion = "2.3.5"\n[target]\nenvironment = "lune"\nlib = "init.luau"\n[indices]\ndefault = "https://github.com/acme/lune-index"\n`,
      'packages/README.md': 'not a member',
      'packages/app/pesde.toml': `name = "acme/app"\nversion = "1.0.0"\nincludes = ["pesde.toml", "init.luau"]\n[target]\nenvironment = "luau"\nlib = "init.luau"\n[dependencies]\ncaret = { workspace = "acme/core" }\ntilde = { workspace = "acme/core", version = "~" }\nexact = { workspace = "acme/core", version = "=" }\nstar = { workspace = "acme/core", version = "*" }\nreq = { workspace = "acme/core", version = ">=2" }\non_lune = { workspace = "acme/core", target = "lune" }\n`,
      'packages/app/init.luau': 'return {}',
    });
    const packed = await packDirectory(path.join(ws, 'packages/app'));
    const deps = parseManifest(packed.manifest).dependencies;
    assert.deepEqual(deps, {
      caret: { name: 'acme/core', version: '^2.3.4', index: PESDE_INDEX, target: 'luau' },
      exact: { name: 'acme/core', version: '=2.3.4', index: PESDE_INDEX, target: 'luau' },
      on_lune: { name: 'acme/core', version: '^2.3.5', index: 'https://github.com/acme/lune-index', target: 'lune' },
      req: { name: 'acme/core', version: '>=2', index: PESDE_INDEX, target: 'luau' },
      star: { name: 'acme/core', version: '*', index: PESDE_INDEX, target: 'luau' },
      tilde: { name: 'acme/core', version: '~2.3.4', index: PESDE_INDEX, target: 'luau' },
    });
  });
});

describe('packDirectory: refusals', () => {
  const luau = (extra = '', includes = '["pesde.toml", "init.luau"]') =>
    `${LUAU_HEAD}includes = ${includes}\n[target]\nenvironment = "luau"\nlib = "init.luau"\n${extra}`;

  it('a folder without pesde.toml, or no folder at all', async () => {
    await refusal(await folder({ 'init.luau': '' }), /has no pesde\.toml: pass the package folder/);
    await refusal(path.join(root, 'does-not-exist'), /is not a folder/, 'usage');
  });

  it('an invalid manifest, with parseManifest’s message', async () => {
    await refusal(await folder({ 'pesde.toml': `${LUAU_HEAD}private = true\n[target]\nenvironment = "luau"\nlib = "init.luau"\n`, 'init.luau': '' }), /private/);
  });

  it('a matched .git, toolchain manifest, .DS_Store or default.project.json, at any depth', async () => {
    const git = await folder({ 'pesde.toml': luau('', '["*"]'), 'init.luau': '' });
    await mkdir(path.join(git, '.git'));
    await writeFile(path.join(git, '.git/HEAD'), 'ref: refs/heads/main\n');
    await refusal(git, /includes matches "\.git" in a \.git folder.*"!\.git\/\*\*"/);
    await refusal(await folder({ 'pesde.toml': luau('', '["**"]'), 'init.luau': '', 'src/.DS_Store': '' }), /"src\/\.DS_Store": \.DS_Store must not be published.*"!\*\*\/\.DS_Store"/);
    await refusal(await folder({ 'pesde.toml': luau('', '["**"]'), 'init.luau': '', 'rokit.toml': '' }), /"rokit\.toml": rokit\.toml must not be published/);
    await refusal(await folder({ 'pesde.toml': luau('', '["**"]'), 'init.luau': '', 'a/default.project.json': '{}' }), /"a\/default\.project\.json": default\.project\.json must not be published/);
    // excluded by a negated glob, they are fine
    const negated = await folder({ 'pesde.toml': luau('', '["**", "!**/.DS_Store", "!.git/**"]'), 'init.luau': '', 'src/.DS_Store': '' });
    await mkdir(path.join(negated, '.git'));
    assert.deepEqual((await packDirectory(negated)).files, ['init.luau', 'pesde.toml']);
  });

  it('exports that are missing, folders, or start with ./', async () => {
    await refusal(await folder({ 'pesde.toml': luau() }), /target\.lib: "init\.luau" does not exist/);
    const asDir = await folder({ 'pesde.toml': luau() });
    await mkdir(path.join(asDir, 'init.luau'));
    await refusal(asDir, /target\.lib: "init\.luau" is not a file/);
    await refusal(await folder({ 'pesde.toml': luau().replace('lib = "init.luau"', 'lib = "./init.luau"'), 'init.luau': '' }), /target\.lib: "\.\/init\.luau" starts with "\.\/".*write "init\.luau"/);
    await refusal(await folder({ 'pesde.toml': `${luau()}[target.scripts]\nbuild = "build.luau"\n`, 'init.luau': '' }), /target\.scripts\.build: "build\.luau" does not exist/);
  });

  it('roblox build files that are missing or not included', async () => {
    const roblox = (buildFiles: string) => `${LUAU_HEAD}includes = ["pesde.toml", "src/**"]\n[target]\nenvironment = "roblox"\nlib = "src/init.luau"\nbuild_files = ${buildFiles}\n`;
    await refusal(await folder({ 'pesde.toml': roblox('["src", "assets"]'), 'src/init.luau': '' }), /build_files: "assets" does not exist/);
    await refusal(await folder({ 'pesde.toml': roblox('["src", "assets"]'), 'src/init.luau': '', 'assets/a.png': '' }), /build_files: nothing under "assets" is matched by includes: add "assets\/\*\*"/);
  });

  it('dependencies on an index not in [indices], and path dependencies', async () => {
    await refusal(await folder({ 'pesde.toml': luau('[dependencies]\nx = { name = "acme/x", version = "1" }\n'), 'init.luau': '' }), /dependencies\.x: index "default" is not in \[indices\]: add default = /);
    await refusal(await folder({ 'pesde.toml': luau('[indices]\ndefault = "https://x.test/i"\n[dev_dependencies]\nw = { wally = "a/b", version = "1", index = "mine" }\n'), 'init.luau': '' }), /dev_dependencies\.w: index "mine" is not in \[wally_indices\]/);
    await refusal(await folder({ 'pesde.toml': luau('[dependencies]\np = { path = "../p" }\n'), 'init.luau': '' }), /dependencies\.p: path dependencies cannot be published/);
  });

  it('a workspace dependency outside a workspace, or on a member it cannot resolve', async () => {
    await refusal(await folder({ 'pesde.toml': luau('[dependencies]\nw = { workspace = "acme/w" }\n'), 'init.luau': '' }), /dependencies\.w: workspace dependency on acme\/w, but no parent folder's pesde\.toml lists .* in workspace_members/);
    const ws = path.join(root, `ws-${++n}`);
    await writeFiles(ws, {
      'pesde.toml': 'name = "acme/ws"\nversion = "0.0.0"\nworkspace_members = ["app", "lib"]\n[target]\nenvironment = "luau"\n',
      'lib/pesde.toml': 'name = "acme/lib"\nversion = "1.0.0"\n[target]\nenvironment = "luau"\nlib = "init.luau"\n',
      'app/pesde.toml': luau('[dependencies]\nlib = { workspace = "acme/lib" }\nother = { workspace = "acme/other", target = "lune" }\n'),
      'app/init.luau': '',
    });
    await refusal(path.join(ws, 'app'), /dependencies\.lib: workspace member lib\/pesde\.toml has no "default" entry in \[indices\]/);
    await writeFile(path.join(ws, 'lib/pesde.toml'), `name = "acme/lib"\nversion = "1.0.0"\n[target]\nenvironment = "luau"\nlib = "init.luau"\n[indices]\ndefault = "${PESDE_INDEX}"\n`);
    await refusal(path.join(ws, 'app'), /dependencies\.other: the workspace at .* has no member acme\/other with target lune \(no member has that name\)/);
  });

  it('an invalid includes glob, and an explicit indexName missing from [indices]', async () => {
    await refusal(await folder({ 'pesde.toml': luau('', '["src/**.luau"]'), 'init.luau': '' }), /includes\[0\]: "src\/\*\*\.luau" is not a valid glob \(at character 7/);
    await refusal(await folder({ 'pesde.toml': luau(), 'init.luau': '' }), /\[indices\] has no "staging" entry/, 'invalid_package', { indexName: 'staging' });
  });
});

describe('packDirectory: round trip through inspectPackage', () => {
  it('the archive passes inspection and yields the entry pesde would publish', async () => {
    const dir = await folder({
      'pesde.toml': `name = "acme/ui"
version = "0.4.1"
description = "UI"
license = "MIT"
authors = ["centau"]
repository = "https://github.com/acme/ui"
includes = ["src/**", "README.md", "docs/**", "pesde.toml"]

[target]
environment = "roblox"
lib = "src/init.luau"
build_files = ["src"]

[indices]
default = "${PESDE_INDEX}"

[wally_indices]
default = "${WALLY_INDEX}"

[dependencies]
signal = { name = "acme/signal", version = "^1.0.0" }
Promise = { wally = "evaera/promise", version = "4.0.0" }

[dev_dependencies]
luneTool = { name = "acme/tool", version = "0.1", target = "lune" }
`,
      'src/init.luau': 'return {}',
      'src/button.luau': 'return {}',
      'README.md': '# UI\n',
      'docs/intro.md': '# Introduction\nHello',
    });
    const packed = await packDirectory(dir);
    const pkg = await inspect(packed.archive);
    assert.equal(pkg.name.full, 'acme/ui');
    assert.equal(pkg.version, '0.4.1');
    assert.equal(pkg.target, 'roblox');
    assert.deepEqual(pkg.entry.target, { environment: 'roblox', lib: 'src/init.luau', build_files: ['src'] });
    assert.deepEqual(pkg.entry.dependencies, {
      luneTool: [{ name: 'acme/tool', version: '^0.1', index: PESDE_INDEX, target: 'lune' }, 'dev'],
      Promise: [{ wally: 'wally#evaera/promise', version: '^4.0.0', index: WALLY_INDEX }, 'standard'],
      signal: [{ name: 'acme/signal', version: '^1.0.0', index: PESDE_INDEX }, 'standard'],
    });
    assert.equal(pkg.entry.description, 'UI');
    assert.equal(pkg.entry.docs?.length, 1);
    assert.equal(pkg.entry.docs?.[0]?.label, 'Introduction');
    assert.equal(gunzipSync(pkg.readme!).toString(), '# UI\n');
  });
});

describe('packDirectory: real manifests from the fixture bundle', () => {
  /** A folder holding the fixture manifest plus every file it names, so pesde could publish it. */
  async function fixtureFolder(file: string, files: Record<string, string>): Promise<string> {
    const dir = path.join(root, `fixture-${++n}`);
    await writeFiles(dir, { ...files, 'pesde.toml': await readFile(path.join(FIXTURES, file), 'utf8') });
    return dir;
  }

  it('0x5eal/unzip: luau lib, negated glob, scripts and indices dropped, dev dependencies resolved', async () => {
    const dir = await fixtureFolder('0x5eal__luau-unzip__pesde.toml', {
      'README.md': '# unzip',
      'LICENSE.md': 'MIT',
      'lib/init.luau': 'return {}',
      'lib/inflate.luau': 'return {}',
      'tests/lib/init.luau': 'return {}',
      'docs/index.md': '# Docs',
      '.lune/tests/init.luau': '',
    });
    const packed = await packDirectory(dir);
    assert.deepEqual(packed.files, ['LICENSE.md', 'README.md', 'docs/index.md', 'lib/inflate.luau', 'lib/init.luau', 'pesde.toml']);
    const pkg = await inspect(packed.archive);
    assert.equal(pkg.name.full, '0x5eal/unzip');
    assert.deepEqual(pkg.entry.engines, { pesde: '=0.7.1' });
    assert.deepEqual(Object.keys(pkg.entry.dependencies ?? {}), ['asciitable', 'frktest', 'luau-lsp', 'stylua']);
    assert.ok(Object.values(pkg.entry.dependencies ?? {}).every(([spec, type]) => type === 'dev' && 'index' in spec && spec.index === PESDE_INDEX));
    assert.ok(!packed.manifest.includes('[scripts]'));
  });

  it('0x5eal/pako: files under out/ minus the negated type declarations', async () => {
    const dir = await fixtureFolder('0x5eal__rbxts-pako__pesde.toml', {
      'README.md': '', LICENSE: '',
      'out/init.luau': '', 'out/zlib/deflate.luau': '', 'out/index.d.ts': '', 'out/tsconfig.tsbuildinfo': '', 'src/index.ts': '',
    });
    const packed = await packDirectory(dir);
    assert.deepEqual(packed.files, ['LICENSE', 'README.md', 'out/init.luau', 'out/zlib/deflate.luau', 'pesde.toml']);
    assert.equal((await inspect(packed.archive)).entry.authors?.length, 8);
  });

  it('centau/vide: roblox, includes src/* (one level only, as pesde)', async () => {
    const dir = await fixtureFolder('centau__vide__pesde.toml', { 'README.md': '', 'src/init.luau': '', 'src/create.luau': '', 'src/lib/deep.luau': '' });
    const packed = await packDirectory(dir);
    assert.deepEqual(packed.files, ['README.md', 'pesde.toml', 'src/create.luau', 'src/init.luau']);
    assert.match(packed.warnings.join('\n'), /includes matches the folder "src\/lib" but none of the files in it/);
    assert.deepEqual((await inspect(packed.archive)).entry.target, { environment: 'roblox', lib: 'src/init.luau', build_files: ['src'] });
  });

  it('caveful_games/handynet: a bare "src" packs only the lib, as pesde 0.7 does, with a warning', async () => {
    const dir = await fixtureFolder('CavefulGames__HandyNet__pesde.toml', { 'README.md': '', 'LICENSE.md': '', 'src/init.luau': '', 'src/process.luau': '' });
    const packed = await packDirectory(dir);
    assert.deepEqual(packed.files, ['LICENSE.md', 'README.md', 'pesde.toml', 'src/init.luau']);
    const pkg = await inspect(packed.archive);
    assert.deepEqual(pkg.entry.dependencies, { limesignal: [{ name: 'caveful_games/limesignal', version: '^0.1.10', index: 'https://github.com/daimond113/pesde-index' }, 'standard'] });
  });

  it('pesde/scripts_rojo: a manifest pesde uploaded packs back to itself', async () => {
    const file = 'DanCodesRBX__sound-manager__lune_packages_.pesde_pesde+scripts_rojo_0.1.0_scripts_rojo_pesde.toml';
    const dir = await fixtureFolder(file, { 'roblox_sync_config_generator.luau': '', 'sourcemap_generator.luau': '', 'README.md': '', LICENSE: '' });
    const packed = await packDirectory(dir);
    assert.equal(packed.manifest, await readFile(path.join(FIXTURES, file), 'utf8'));
    assert.deepEqual((await inspect(packed.archive)).entry.target.scripts, { roblox_sync_config_generator: 'roblox_sync_config_generator.luau', sourcemap_generator: 'sourcemap_generator.luau' });
  });

  it('luau_lint/cli: workspace dependencies on members without [indices] are refused as pesde refuses them', async () => {
    const ws = path.join(root, `fixture-ws-${++n}`);
    await writeFiles(ws, {
      'pesde.toml': await readFile(path.join(FIXTURES, 'christopher-buss__luau-lint__pesde.toml'), 'utf8'),
      'packages/cli/pesde.toml': await readFile(path.join(FIXTURES, 'christopher-buss__luau-lint__packages_cli_pesde.toml'), 'utf8'),
      'packages/cli/src/main.luau': '',
      'packages/core/pesde.toml': await readFile(path.join(FIXTURES, 'christopher-buss__luau-lint__packages_core_pesde.toml'), 'utf8'),
    });
    await refusal(path.join(ws, 'packages/cli'), /dependencies\.config: the workspace at .* has no member luau_lint\/config with target luau/);
    const member = (name: string) => `name = "luau_lint/${name}"\nversion = "0.1.0"\n[target]\nenvironment = "luau"\nlib = "src/init.luau"\n`;
    await writeFiles(ws, { 'packages/config/pesde.toml': member('config'), 'packages/plugin_api/pesde.toml': member('plugin_api') });
    await refusal(path.join(ws, 'packages/cli'), /workspace member packages\/(config|core|plugin_api)\/pesde\.toml has no "default" entry in \[indices\]/);
    for (const name of ['config', 'plugin_api']) await writeFile(path.join(ws, `packages/${name}/pesde.toml`), `${member(name)}[indices]\ndefault = "${PESDE_INDEX}"\n`);
    const core = await readFile(path.join(ws, 'packages/core/pesde.toml'), 'utf8');
    await writeFile(path.join(ws, 'packages/core/pesde.toml'), `${core}\n[indices]\ndefault = "${PESDE_INDEX}"\n`);
    const packed = await packDirectory(path.join(ws, 'packages/cli'));
    assert.deepEqual(packed.files, ['pesde.toml', 'src/main.luau']);
    const pkg = await inspect(packed.archive);
    assert.deepEqual(pkg.entry.target, { environment: 'luau', bin: 'src/main.luau' });
    assert.deepEqual(pkg.entry.dependencies?.core, [{ name: 'luau_lint/core', version: '^0.1.0', index: PESDE_INDEX, target: 'luau' }, 'standard']);
  });
});
