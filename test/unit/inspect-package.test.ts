import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { gunzipSync } from 'node:zlib';
import type { ErrorKind } from '../../src/errors.js';
import type { TargetKind } from '../../src/index-repo/types.js';
import { inspectPackage } from '../../src/package/inspect-package.js';
import type { InspectOptions } from '../../src/package/inspect-package.js';
import { buildTarGz } from '../helpers/archive-builder.js';
import type { EntrySpec } from '../helpers/archive-builder.js';
import { buildPackage } from '../helpers/package-fixture.js';
import { assertRegistryError } from '../helpers/registry-error.js';
import { testIndexConfig } from '../helpers/index-config.js';

const OWN = 'https://github.com/acme/index';

const CONFIG = testIndexConfig();

const options = (overrides: Partial<InspectOptions> = {}): InspectOptions => ({ config: CONFIG, ownIndexUrls: [OWN], ...overrides });

const MINIMAL = `name = "acme/foo"
version = "1.0.0"
[target]
environment = "luau"
lib = "src/init.luau"
`;

const pkg = (files: Record<string, string | Buffer>): Buffer =>
  buildTarGz(Object.entries(files).map(([path, content]): EntrySpec => ({ path, content })));

const withManifest = (extra: Record<string, string | Buffer> = {}, manifest = MINIMAL): Buffer =>
  pkg({ 'pesde.toml': manifest, 'src/init.luau': 'return {}', ...extra });

async function refusal(archive: Buffer, kind: ErrorKind = 'invalid_package', opts = options()): Promise<string> {
  try {
    await inspectPackage(archive, opts);
  } catch (error) {
    return assertRegistryError(error, kind);
  }
  assert.fail('expected the package to be refused');
}

const sha256 = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');

describe('inspectPackage: the index entry, field by field', () => {
  it('derives a lune entry from every manifest field, docs and all three dependency tables', async () => {
    const manifest = `name = "acme/tool"
version = "2.1.0-beta.1+build.7"
description = "A tool"
license = "MPL-2.0"
authors = ["Ann <ann@acme.test>", "Bob"]
repository = "https://github.com/acme/tool"
includes = ["src/**"]

[target]
environment = "lune"
lib = "src/init.luau"
bin = "src/bin.luau"
scripts = { sync = "scripts/sync.luau" }

[engines]
lune = "0.10"
pesde = ">=0.7.0,<0.8.0"

[dependencies]
util = { name = "acme/util", version = "1.2", index = "${OWN}.git", target = "luau" }
[peer_dependencies]
React = { name = "acme/react", version = "=17.0.2", index = "${OWN}" }
[dev_dependencies]
tester = { name = "other/tester", version = "*", index = "https://github.com/pesde-pkg/index" }
ws = { wally = "acme/ws", version = "0.3", index = "https://github.com/UpliftGames/wally-index" }
`;
    const inspected = await inspectPackage(
      pkg({
        'pesde.toml': manifest,
        'src/init.luau': 'return {}',
        'src/bin.luau': 'print(1)',
        'scripts/sync.luau': '',
        'docs/intro.md': '# Intro\n',
      }),
      options(),
    );
    assert.deepEqual(inspected.name, { scope: 'acme', name: 'tool', full: 'acme/tool' });
    assert.equal(inspected.version, '2.1.0-beta.1+build.7');
    assert.equal(inspected.target, 'lune');
    assert.deepEqual(inspected.entry, {
      target: {
        environment: 'lune',
        lib: 'src/init.luau',
        bin: 'src/bin.luau',
        scripts: { sync: 'scripts/sync.luau' },
      },
      description: 'A tool',
      license: 'MPL-2.0',
      authors: ['Ann <ann@acme.test>', 'Bob'],
      repository: 'https://github.com/acme/tool',
      engines: { pesde: '>=0.7.0, <0.8.0', lune: '^0.10' },
      docs: [{ label: 'Intro', name: 'intro', hash: sha256('# Intro') }],
      dependencies: {
        React: [{ name: 'acme/react', version: '=17.0.2', index: OWN }, 'peer'],
        tester: [{ name: 'other/tester', version: '*', index: 'https://github.com/pesde-pkg/index' }, 'dev'],
        util: [{ name: 'acme/util', version: '^1.2', index: `${OWN}.git`, target: 'luau' }, 'standard'],
        ws: [{ wally: 'wally#acme/ws', version: '^0.3', index: 'https://github.com/UpliftGames/wally-index' }, 'dev'],
      },
    });
    assert.deepEqual(Object.keys(inspected.entry.dependencies ?? {}), ['React', 'tester', 'util', 'ws']);
    assert.deepEqual([...inspected.docPages.keys()], [sha256('# Intro')]);
    assert.equal(gunzipSync(inspected.docPages.get(sha256('# Intro')) as Buffer).toString(), '# Intro');
    assert.equal(inspected.readme, undefined);
    assert.equal(inspected.manifest.includes[0], 'src/**');
  });

  it('leaves out what the official writer leaves out: empty authors, engines, docs and dependencies', async () => {
    const inspected = await inspectPackage(withManifest(), options());
    assert.deepEqual(inspected.entry, { target: { environment: 'luau', lib: 'src/init.luau' } });
    assert.equal(inspected.docPages.size, 0);
  });

  const targets: Array<[TargetKind, string, object]> = [
    ['roblox', 'lib = "src/init.luau"\nbuild_files = ["src", "assets"]', { environment: 'roblox', lib: 'src/init.luau', build_files: ['assets', 'src'] }],
    ['roblox_server', 'lib = "src/init.server.luau"\nbuild_files = ["src"]', { environment: 'roblox_server', lib: 'src/init.server.luau', build_files: ['src'] }],
    ['lune', 'bin = "src/main.luau"', { environment: 'lune', bin: 'src/main.luau' }],
    ['luau', 'lib = "src/init.luau"\nbin = "src/cli.luau"', { environment: 'luau', lib: 'src/init.luau', bin: 'src/cli.luau' }],
  ];
  for (const [kind, targetFields, expected] of targets) {
    it(`accepts a ${kind} package`, async () => {
      const manifest = `name = "acme/${kind}"\nversion = "0.1.0"\n[target]\nenvironment = "${kind}"\n${targetFields}\n`;
      const inspected = await inspectPackage(withManifest({}, manifest), options());
      assert.equal(inspected.target, kind);
      assert.deepEqual(inspected.entry.target, expected);
    });
  }

  it('accepts what the e2e package fixture builds with tar from real files', async () => {
    for (const target of ['roblox', 'roblox_server', 'lune', 'luau'] as const) {
      const archive = await buildPackage({ name: 'acme/fixture', version: '1.0.0', target, files: { 'README.md': '# Fixture' } });
      const inspected = await inspectPackage(archive, options());
      assert.equal(inspected.entry.description, 'A test package');
      assert.equal(gunzipSync(inspected.readme as Buffer).toString(), '# Fixture');
    }
  });

  it('passes archive limits through', async () => {
    const message = await refusal(withManifest({ 'a.luau': '', 'b.luau': '' }), 'invalid_package', options({ limits: { maxEntries: 3 } }));
    assert.match(message, /more than 3 entries/);
  });
});

describe('inspectPackage: README', () => {
  const readmeOf = async (files: Record<string, string>): Promise<string | undefined> => {
    const inspected = await inspectPackage(withManifest(files), options());
    return inspected.readme === undefined ? undefined : gunzipSync(inspected.readme).toString();
  };

  it('stores the root README gzipped and untrimmed, whatever its case', async () => {
    assert.equal(await readmeOf({ 'README.md': '\n# Foo\n\n' }), '\n# Foo\n\n');
    assert.equal(await readmeOf({ 'readme.txt': 'text' }), 'text');
    assert.equal(await readmeOf({ 'ReadMe.MD': 'mixed' }), 'mixed');
  });

  it('uses a bare README only when it is the only candidate', async () => {
    assert.equal(await readmeOf({ README: 'bare' }), 'bare');
    assert.equal(await readmeOf({ README: 'bare', 'README.md': 'md' }), 'md');
    assert.equal(await readmeOf({ README: 'a', readme: 'b' }), undefined);
  });

  it('ignores READMEs outside the root and other extensions', async () => {
    assert.equal(await readmeOf({ 'src/README.md': 'nested', 'README.rst': 'rst', 'readme.md.bak': 'bak' }), undefined);
  });

  it('refuses two READMEs', async () => {
    assert.equal(
      await refusal(withManifest({ 'README.md': 'a', 'readme.txt': 'b' })),
      'archive contains more than one README (README.md, readme.txt): keep one',
    );
    assert.match(await refusal(withManifest({ 'README.md': 'a', 'readme.MD': 'b' })), /more than one README/);
  });
});

describe('inspectPackage: docs', () => {
  it('builds categories from every docs folder, including ones holding no pages', async () => {
    const inspected = await inspectPackage(
      buildTarGz([
        { path: 'pesde.toml', content: MINIMAL },
        { path: 'src/init.luau', content: '' },
        { path: 'docs/guide/_category_.json', content: '{"position": 1}' },
        { path: 'docs/guide/start.md', content: '# Start' },
        { path: 'docs/images/logo.png', content: 'png' },
        { path: 'docs/empty', type: 'directory' },
        { path: 'docs/README.md', content: '# Docs home' },
      ]),
      options(),
    );
    assert.deepEqual(inspected.entry.docs, [
      { label: 'Guide', position: 1, items: [{ label: 'Start', name: 'guide/start', hash: sha256('# Start') }] },
      { label: 'Docs home', name: 'README', hash: sha256('# Docs home') },
      { label: 'Empty', items: [] },
      { label: 'Images', items: [] },
    ]);
    assert.equal(inspected.docPages.size, 2);
  });

  it('ignores a root file named docs', async () => {
    const inspected = await inspectPackage(withManifest({ docs: '# not a folder' }), options());
    assert.equal(inspected.entry.docs, undefined);
  });

  it('refuses invalid front matter', async () =>
    assert.match(await refusal(withManifest({ 'docs/a.md': '---\nposition: [\n---\n' })), /^docs\/a\.md: front matter is not valid YAML/));
});

describe('inspectPackage: refusals', () => {
  it('refuses an archive above max_archive_size as too_large, before reading it', async () => {
    const archive = withManifest();
    const message = await refusal(archive, 'too_large', options({ config: { ...CONFIG, max_archive_size: archive.length - 1 } }));
    assert.equal(
      message,
      `archive is ${archive.length} bytes, more than this registry's limit of ${archive.length - 1} bytes (max_archive_size): include fewer or smaller files`,
    );
    await inspectPackage(archive, options({ config: { ...CONFIG, max_archive_size: archive.length } }));
  });

  it('applies the archive rules', async () => {
    const archive = buildTarGz([
      { path: 'pesde.toml', content: MINIMAL },
      { path: 'src/x', type: 'symlink', linkpath: '../../etc/passwd' },
    ]);
    assert.equal(await refusal(archive), 'archive contains a symbolic link "src/x": pack real files only');
    assert.match(await refusal(Buffer.from('not an archive')), /not gzip-compressed/);
  });

  it('refuses a .git directory at the root, given explicitly or by its files', async () => {
    const explicit = buildTarGz([{ path: 'pesde.toml', content: MINIMAL }, { path: '.git', type: 'directory' }]);
    assert.equal(await refusal(explicit), 'archive contains the forbidden directory ".git" at its root: leave it out of the package');
    assert.match(await refusal(withManifest({ '.git/config': '[core]' })), /forbidden directory "\.git"/);
  });

  for (const file of ['foreman.toml', 'aftman.toml', 'rokit.toml', '.DS_Store', 'default.project.json']) {
    it(`refuses ${file} at the root`, async () =>
      assert.equal(
        await refusal(withManifest({ [file]: 'x' })),
        `archive contains the forbidden file "${file}" at its root: leave it out of the package (toolchain and sync-tool files break installs)`,
      ));
  }

  it('allows those names below the root and a .git file, as the official registry does', async () => {
    await inspectPackage(withManifest({ 'src/.DS_Store': 'x', 'lib/default.project.json': '{}', '.git': 'gitdir: ../x' }), options());
  });

  it('refuses an archive without a root pesde.toml', async () => {
    const expected = 'archive has no pesde.toml at its root: pack the package root (where pesde.toml is), as pesde publish does';
    assert.equal(await refusal(pkg({ 'src/init.luau': '' })), expected);
    assert.equal(await refusal(pkg({ 'pkg/pesde.toml': MINIMAL })), expected);
    assert.equal(await refusal(pkg({ 'PESDE.TOML': MINIMAL })), expected);
    assert.equal(await refusal(buildTarGz([{ path: 'pesde.toml', type: 'directory' }])), expected);
  });

  it('refuses an invalid manifest with its reason', async () => {
    assert.match(await refusal(withManifest({}, 'name = "acme/foo"\nversion = "1"\n')), /^pesde\.toml: version: invalid version "1"/);
    assert.match(await refusal(withManifest({}, `private = true\n${MINIMAL}`)), /^pesde\.toml: private: the package is private/);
    assert.equal(await refusal(pkg({ 'pesde.toml': Buffer.from([0x6e, 0x61, 0x6d, 0x65, 0xff]) })), 'pesde.toml is not valid UTF-8: save it as UTF-8');
    assert.match(await refusal(withManifest({}, `# ${'x'.repeat(1024 * 1024)}\n${MINIMAL}`)), /^pesde\.toml is \d+ bytes, more than 1048576/);
  });

  it('refuses dependencies the config does not allow', async () => {
    const manifest = `${MINIMAL}[dependencies]\npromise = { wally = "evaera/promise", version = "^4", index = "https://github.com/UpliftGames/wally-index" }\n`;
    assert.match(await refusal(withManifest({}, manifest)), /^pesde\.toml: dependencies\.promise: depends on a Wally package/);
    const allowed = await inspectPackage(withManifest({}, manifest), options({ config: { ...CONFIG, wally_allowed: true } }));
    assert.deepEqual(allowed.entry.dependencies, {
      promise: [{ wally: 'wally#evaera/promise', version: '^4', index: 'https://github.com/UpliftGames/wally-index' }, 'standard'],
    });
    const workspace = `${MINIMAL}[dev_dependencies]\nsibling = { workspace = "acme/sibling" }\n`;
    assert.match(await refusal(withManifest({}, workspace)), /dev_dependencies\.sibling: workspace dependencies cannot be published/);
  });
});
