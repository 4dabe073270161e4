import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { RegistryError } from '../../src/errors.js';
import { allDependencies, parseManifest, specifierKind } from '../../src/package/manifest.js';
import { MANIFEST_FIXTURES } from '../helpers/shared-fixtures.js';

const FIXTURES = MANIFEST_FIXTURES;

const BASE = `
name = "acme/foo"
version = "1.2.3"
[target]
environment = "luau"
lib = "src/init.luau"
`;

function refusal(text: string): string {
  try {
    parseManifest(text);
  } catch (error) {
    assert.ok(error instanceof RegistryError, String(error));
    assert.equal(error.kind, 'invalid_package');
    assert.ok(!error.message.includes('\n'), `one line: ${error.message}`);
    return error.message;
  }
  assert.fail('expected the manifest to be refused');
}

describe('parseManifest: a complete manifest', () => {
  it('reads every field the registry relies on, normalised as the official struct prints it', () => {
    const manifest = parseManifest(`
name = "acme/foo"
version = "1.2.3-rc.1+build.5"
description = "A package"
license = "MIT"
authors = ["A <a@example.com>", "B"]
repository = "HTTPS://GitHub.com/acme/foo"
private = false
includes = ["src/**", "pesde.toml"]
workspace_members = ["packages/*"]
unknown_key = { anything = [1, 2] }

[target]
environment = "lune"
lib = "src/init.luau"
bin = "src/bin.luau"
build_files = ["ignored for lune"]
unknown_target_key = true

[target.scripts]
zeta = "scripts/zeta.luau"
alpha = "scripts/alpha.luau"

[engines]
LUNE = ">=0.8,<0.11"
pesde = "0.7.1"

[indices]
default = "https://github.com/pesde-pkg/index"

[dependencies]
Zed = { name = "acme/zed", version = "1.0", index = "https://github.com/pesde-pkg/index", target = "luau" }
promise = { wally = "evaera/promise", version = "^4.0.0", index = "https://github.com/UpliftGames/wally-index" }

[peer_dependencies]
git_dep = { repo = "acme/git-dep", rev = "abc1234", path = "packages/core", target = "lune" }

[dev_dependencies]
ws = { workspace = "acme/ws" }
ws_exact = { workspace = "acme/ws2", version = "=", target = "luau" }
local = { path = "../local" }
no_index = { name = "acme/no_index", version = "*" }
`);
    assert.deepEqual(manifest, {
      name: { scope: 'acme', name: 'foo', full: 'acme/foo' },
      version: '1.2.3-rc.1+build.5',
      description: 'A package',
      license: 'MIT',
      authors: ['A <a@example.com>', 'B'],
      repository: 'https://github.com/acme/foo',
      target: {
        environment: 'lune',
        lib: 'src/init.luau',
        bin: 'src/bin.luau',
        scripts: { alpha: 'scripts/alpha.luau', zeta: 'scripts/zeta.luau' },
      },
      engines: { pesde: '^0.7.1', lune: '>=0.8, <0.11' },
      includes: ['src/**', 'pesde.toml'],
      workspace_members: ['packages/*'],
      dependencies: {
        Zed: { name: 'acme/zed', version: '^1.0', index: 'https://github.com/pesde-pkg/index', target: 'luau' },
        promise: { wally: 'wally#evaera/promise', version: '^4.0.0', index: 'https://github.com/UpliftGames/wally-index' },
      },
      peer_dependencies: {
        git_dep: { repo: 'https://github.com/acme/git-dep', rev: 'abc1234', path: 'packages/core' },
      },
      dev_dependencies: {
        ws: { workspace: 'acme/ws', version: '^' },
        ws_exact: { workspace: 'acme/ws2', version: '=', target: 'luau' },
        local: { path: '../local' },
        no_index: { name: 'acme/no_index', version: '*', index: 'default' },
      },
    });
    assert.deepEqual(Object.keys(manifest.target.scripts ?? {}), ['alpha', 'zeta']);
  });

  it('merges the three dependency tables as the official all_dependencies does', () => {
    const manifest = parseManifest(`${BASE}
[dependencies]
b = { name = "acme/b", version = "1" }
[peer_dependencies]
A = { name = "acme/a", version = "1" }
[dev_dependencies]
c = { path = "../c" }
`);
    const all = allDependencies(manifest);
    assert.deepEqual(Object.keys(all), ['A', 'b', 'c']);
    assert.deepEqual(
      Object.values(all).map(([spec, type]) => `${specifierKind(spec)} ${type}`),
      ['pesde peer', 'pesde standard', 'path dev'],
    );
  });

  it('keeps build_files of roblox targets sorted and unique, and ignores a BOM', () => {
    const manifest = parseManifest(`\uFEFFname = "acme/foo"
version = "0.1.0"
[target]
environment = "roblox_server"
lib = "src/init.luau"
build_files = ["src", "Assets", "src", "lib"]
`);
    assert.deepEqual(manifest.target, { environment: 'roblox_server', lib: 'src/init.luau', build_files: ['Assets', 'lib', 'src'] });
  });

  it('keeps an alias named __proto__ as data', () => {
    const manifest = parseManifest(`${BASE}
[dependencies]
__proto__ = { name = "acme/evil", version = "1" }
`);
    assert.ok(Object.hasOwn(manifest.dependencies, '__proto__'));
    assert.equal(Object.getPrototypeOf(manifest.dependencies), Object.prototype);
    assert.ok(Object.hasOwn(allDependencies(manifest), '__proto__'));
  });

  it('accepts a target exporting only scripts', () => {
    const manifest = parseManifest(`name = "acme/foo"
version = "0.1.0"
[target]
environment = "luau"
scripts = { build = "build.luau" }
`);
    assert.deepEqual(manifest.target, { environment: 'luau', scripts: { build: 'build.luau' } });
  });
});

describe('parseManifest: refusals name the key and the fix', () => {
  const cases: Array<[string, string, RegExp]> = [
    ['bad TOML', 'name = ', /^pesde\.toml is not valid TOML \(line 1, column \d+: .*\): fix the syntax$/],
    ['missing name', 'version = "1.0.0"\n[target]\nenvironment = "luau"\nlib = "a"', /^pesde\.toml: name: is missing: add it, e.g\. name = "scope\/name"$/],
    ['a name without scope', BASE.replace('acme/foo', 'foo'), /^pesde\.toml: name: invalid package name "foo": expected the form scope\/name/],
    ['an upper-case name', BASE.replace('acme/foo', 'Acme/foo'), /^pesde\.toml: name: invalid package name "Acme\/foo": scope may only contain/],
    ['a name that is not a string', BASE.replace('"acme/foo"', '42'), /^pesde\.toml: name: must be a string, found the value 42$/],
    ['missing version', BASE.replace('version = "1.2.3"', ''), /^pesde\.toml: version: is missing/],
    ['a non-semver version', BASE.replace('1.2.3', '1.2'), /^pesde\.toml: version: invalid version "1\.2"/],
    ['a v-prefixed version', BASE.replace('1.2.3', 'v1.2.3'), /^pesde\.toml: version: invalid version "v1\.2\.3"/],
    ['a description that is not a string', `description = 1\n${BASE}`, /^pesde\.toml: description: must be a string/],
    ['a license that is not a string', `license = ["MIT"]\n${BASE}`, /^pesde\.toml: license: must be a string, found an array$/],
    ['authors that are not strings', `authors = ["a", 2]\n${BASE}`, /^pesde\.toml: authors\[1\]: must be a string/],
    ['authors that is a string', `authors = "a"\n${BASE}`, /^pesde\.toml: authors: must be an array of strings/],
    ['a relative repository URL', `repository = "github.com/acme/foo"\n${BASE}`, /^pesde\.toml: repository: "github\.com\/acme\/foo" is not an absolute URL/],
    ['a private package', `private = true\n${BASE}`, /^pesde\.toml: private: the package is private and cannot be published: remove `private = true` to publish it$/],
    ['private that is not a boolean', `private = "yes"\n${BASE}`, /^pesde\.toml: private: must be true or false/],
    ['includes that is not an array', `includes = "src"\n${BASE}`, /^pesde\.toml: includes: must be an array of strings/],
    ['missing target', 'name = "acme/foo"\nversion = "1.0.0"', /^pesde\.toml: target: is missing: add a \[target\] table/],
    ['a target that is a string', 'name = "acme/foo"\nversion = "1.0.0"\ntarget = "roblox"', /^pesde\.toml: target: must be a table, found the string "roblox"/],
    ['a target without environment', 'name = "acme/foo"\nversion = "1.0.0"\n[target]\nlib = "a"', /^pesde\.toml: target\.environment: is missing/],
    ['an unknown environment', BASE.replace('"luau"', '"node"'), /^pesde\.toml: target\.environment: invalid target kind "node": expected one of roblox, roblox_server, lune, luau$/],
    ['a target exporting nothing', 'name = "acme/foo"\nversion = "1.0.0"\n[target]\nenvironment = "lune"', /^pesde\.toml: target: exports nothing: set lib, bin or scripts/],
    ['empty scripts as the only export', 'name = "acme/foo"\nversion = "1.0.0"\n[target]\nenvironment = "lune"\nscripts = {}', /target: exports nothing/],
    ['a roblox target without build_files', BASE.replace('"luau"', '"roblox"'), /^pesde\.toml: target\.build_files: a roblox package needs at least one build file/],
    ['a roblox target with empty build_files', `${BASE.replace('"luau"', '"roblox_server"')}build_files = []`, /target\.build_files: a roblox_server package needs at least one build file/],
    ['a roblox target with a bin', `${BASE.replace('"luau"', '"roblox"')}build_files = ["src"]\nbin = "src/bin.luau"`, /^pesde\.toml: target\.bin: a roblox target cannot export a bin: remove it/],
    ['a roblox target with scripts', `${BASE.replace('"luau"', '"roblox"')}build_files = ["src"]\nscripts = { a = "a.luau" }`, /^pesde\.toml: target\.scripts: a roblox target cannot export scripts/],
    ['build_files that is a string', `${BASE.replace('"luau"', '"roblox"')}build_files = "src"`, /target\.build_files: must be an array of paths/],
    ['a lib outside the package', BASE.replace('src/init.luau', '../init.luau'), /^pesde\.toml: target\.lib: "\.\.\/init\.luau" leaves the package root/],
    ['an absolute bin', `${BASE}bin = "/usr/bin/x"`, /^pesde\.toml: target\.bin: "\/usr\/bin\/x" is absolute/],
    ['a script that is not a path', `${BASE}scripts = { a = 1 }`, /^pesde\.toml: target\.scripts\.a: must be a path string/],
    ['an unknown engine', `${BASE}[engines]\nnode = "1"`, /^pesde\.toml: engines\.node: invalid engine "node": expected one of pesde, lune$/],
    ['an engine twice', `${BASE}[engines]\nlune = "1"\nLune = "2"`, /^pesde\.toml: engines\.Lune: engine lune is listed twice/],
    ['an invalid engine requirement', `${BASE}[engines]\nlune = "latest"`, /^pesde\.toml: engines\.lune: invalid version requirement "latest"/],
    ['a reserved alias', `${BASE}[dependencies]\ncon = { name = "acme/a", version = "1" }`, /^pesde\.toml: dependencies\.con: invalid dependency alias "con": the name is reserved/],
    ['an engine name as alias', `${BASE}[dependencies]\nLune = { name = "acme/a", version = "1" }`, /dependencies\.Lune: invalid dependency alias "Lune": it is the name of an engine/],
    ['an alias with a dot', `${BASE}[dependencies]\n"a.b" = { name = "acme/a", version = "1" }`, /dependencies\.a\.b: invalid dependency alias "a\.b": an alias may only contain/],
    ['an alias twice ignoring case', `${BASE}[dependencies]\nfoo = { name = "acme/a", version = "1" }\nFOO = { name = "acme/b", version = "1" }`, /^pesde\.toml: dependencies\.FOO: alias "FOO" is already used by dependencies\.foo \(aliases ignore case\)/],
    ['an alias in two tables', `${BASE}[dependencies]\nfoo = { name = "acme/a", version = "1" }\n[dev_dependencies]\nFoo = { name = "acme/b", version = "1" }`, /^pesde\.toml: dev_dependencies\.Foo: alias "Foo" is already used by dependencies\.foo/],
    ['a dependency that is a string', `${BASE}[dependencies]\nfoo = "^1.0.0"`, /^pesde\.toml: dependencies\.foo: must be a table, found the string "\^1\.0\.0"/],
    ['an unrecognisable specifier', `${BASE}[dependencies]\nfoo = { version = "1" }`, /^pesde\.toml: dependencies\.foo: is not a dependency specifier: give name \+ version/],
    ['a pesde dependency without version', `${BASE}[dependencies]\nfoo = { name = "acme/a" }`, /^pesde\.toml: dependencies\.foo\.version: is missing/],
    ['a pesde dependency with a bad name', `${BASE}[peer_dependencies]\nfoo = { name = "acme", version = "1" }`, /^pesde\.toml: peer_dependencies\.foo\.name: invalid package name "acme"/],
    ['a pesde dependency with a bad version', `${BASE}[dependencies]\nfoo = { name = "acme/a", version = "1.0 || 2.0" }`, /^pesde\.toml: dependencies\.foo\.version: invalid version requirement "1\.0 \|\| 2\.0"/],
    ['a pesde dependency with a bad target', `${BASE}[dependencies]\nfoo = { name = "acme/a", version = "1", target = "web" }`, /^pesde\.toml: dependencies\.foo\.target: invalid target kind "web"/],
    ['a pesde dependency with a non-string index', `${BASE}[dependencies]\nfoo = { name = "acme/a", version = "1", index = 3 }`, /dependencies\.foo\.index: must be a string/],
    ['a wally dependency with a bad name', `${BASE}[dependencies]\nfoo = { wally = "Evaera/Promise", version = "1" }`, /^pesde\.toml: dependencies\.foo\.wally: invalid wally package name "Evaera\/Promise"/],
    ['a wally dependency without version', `${BASE}[dependencies]\nfoo = { wally = "evaera/promise" }`, /dependencies\.foo\.version: is missing/],
    ['a git dependency without rev', `${BASE}[dependencies]\nfoo = { repo = "acme/foo" }`, /^pesde\.toml: dependencies\.foo\.rev: is missing/],
    ['a git dependency with a broken URL', `${BASE}[dependencies]\nfoo = { repo = "not a url:", rev = "main" }`, /^pesde\.toml: dependencies\.foo\.repo: "not a url:" is not a Git URL/],
    ['a workspace dependency with a bad version', `${BASE}[dependencies]\nfoo = { workspace = "acme/a", version = "^^" }`, /dependencies\.foo\.version: invalid version requirement "\^\^"/],
    ['a path dependency that is not a string', `${BASE}[dependencies]\nfoo = { path = 1 }`, /dependencies\.foo\.path: must be a string/],
    ['dependencies that is not a table', `dependencies = []\n${BASE}`, /^pesde\.toml: dependencies: must be a table, found an array$/],
    ['indices with a non-string value', `${BASE}[indices]\ndefault = 1`, /^pesde\.toml: indices\.default: must be a string/],
    ['an unknown place kind', `${BASE}[place]\nclient = "x"`, /^pesde\.toml: place\.client: unknown place kind/],
    ['scripts that is not a table', `scripts = 1\n${BASE}`, /^pesde\.toml: scripts: must be a table/],
  ];
  for (const [name, text, pattern] of cases) {
    it(`refuses ${name}`, () => assert.match(refusal(text), pattern));
  }

  it('reports structural errors before the publish rules, as deserialising comes first', () => {
    assert.match(refusal('name = "acme/foo"\nversion = "1.0.0"\nprivate = true'), /target: is missing/);
  });
});

/**
 * Every real manifest in the fixtures, and what happens to it. These are manifests as
 * authors write them, before `pesde publish` transforms them, so a few that the client can
 * publish are refused here for what the client would have changed (see the notes).
 */
const REFUSED: Record<string, RegExp> = {
  // Broken on purpose (INDEX.tsv says BROKEN / INVALID):
  'CapedBojji__egooe__pesde@28f378e.toml': /name: invalid package name "EgooE"/, // Cargo-style, no scope
  'CapedBojji__egooe__pesde@b3d58dc.toml': /target: must be a table, found the string "roblox"/,
  'CapedBojji__egooe__pesde@c6b5b02.toml': /name: is missing/, // [package] table wraps name/version
  'CompeyDev__frktest-pesde__pesde@bda814b.toml': /name: invalid package name "CompeyDev\/frktest"/,
  'DiscordLuau__discord-luau__pesde@5351ed8.toml': /target: is missing/,
  // Private projects (the client refuses to publish them, so do we):
  '0xJWLabs__discord-luau__pesde.toml': /private: the package is private/,
  'Apple-Pear-Studios__Sapling__pesde.toml': /private/,
  'AshleyThx__GrowCube__pesde.toml': /private/,
  'Asinki__Boilerplate-Experience__pesde.toml': /private/,
  'CavefulGames__dalbit-polyfill__pesde.toml': /private/,
  'CavefulGames__kitty__utils_pesde.toml': /private/,
  'CavefulGames__ovdr-vide__pesde.toml': /private/,
  'DialogueMaker__kit__pesde.toml': /private/,
  'DialogueMaker__plugin__pesde.toml': /private/,
  'DiscordLuau__discord-luau__pesde.toml': /private/,
  'LuneWeb__LuneWeb__examples_pesde.toml': /private/,
  'LuneWeb__LuneWeb__pesde.toml': /private/,
  'christopher-buss__luau-lint__pesde.toml': /private/,
  'ewd3v__roblox_graft__pesde.toml': /private/,
  'ewd3v__roblox_graft__plugin_bin_pesde.toml': /private/,
  'ewd3v__roblox_graft__plugin_plugin_pesde.toml': /private/,
  'jiwonz__lune_darklua_build__pesde@b502a91.toml': /private/,
  'pesde-pkg__tooling__pesde.toml': /private/,
  'prvdmwrong__prvdmwrong__pesde.toml': /private/,
  'synpixel__skilift__example_pesde@1390574.toml': /private/,
  'synpixel__skilift__example_pesde@5faf2c6.toml': /private/,
  // Targets without lib, bin or scripts: the client stops with "no exports found in target"
  // (none of the 3,159 entries in the public index lacks an export):
  '0hirume__super-power-game__pesde.toml': /target: exports nothing/,
  '0xJWLabs__rocord-luau__pesde.toml': /target: exports nothing/,
  '1Axen__blink__pesde.toml': /target: exports nothing/,
  '1Mahz__-NEA-Hiring-Project__pesde.toml': /target: exports nothing/,
  '2B3__vide-sonner__pkgs_vide-sonner-test-place_pesde.toml': /target: exports nothing/,
  '4x8Matrix__wally-packages__pesde.toml': /target: exports nothing/,
  'BamSori__pesde-test1__pesde.toml': /target: exports nothing/,
  'BamSori__pesde-test2__lune_packages_.pesde_storybakery+pesde_test1_0.0.0-7cc88fc013ba2dc2bd92c4ed417216e3a63a4ccd_pesde_test1_pesde.toml':
    /target: exports nothing/,
  'BamSori__pesde-test2__pesde.toml': /target: exports nothing/,
  'CompeyDev__rusty-luau__pesde.toml': /target: exports nothing/,
  'Word30210__roblox-project-template__pesde.toml': /target: exports nothing/,
  'Word30210__roblox-project-template__places_lobby_pesde.toml': /target: exports nothing/,
  'ernisto__re-test__pesde.toml': /target: exports nothing/,
  'raineyraine__riggi_plugin__pesde.toml': /target: exports nothing/,
  // A bin on a roblox target: serde drops it silently, so the upload would not have it;
  // sent as written it would vanish from the package, so it is refused:
  'rocult__script-template__pesde.toml': /target\.bin: a roblox target cannot export a bin/,
  'rocult__script-template__pesde@95963d4.toml': /target\.bin: a roblox target cannot export a bin/,
  // A roblox lib without build_files: `pesde publish` adds the lib's folder ("init.luau")
  // to build_files before uploading; the manifest as written has none:
  'team-fireworks__aet__packages_aet-utils_pesde.toml': /target\.build_files: a roblox package needs at least one build file/,
};

describe('parseManifest: real manifests (shared/fixtures/manifests)', () => {
  const files = readdirSync(FIXTURES)
    .filter((file) => file.endsWith('.toml'))
    .sort();
  const index = readFileSync(path.join(FIXTURES, 'INDEX.tsv'), 'utf8')
    .trim()
    .split('\n')
    .slice(1)
    .map((line) => line.split('\t'));

  it('covers every fixture listed in INDEX.tsv', () => {
    assert.deepEqual(index.map(([file]) => file).sort(), files);
    assert.ok(files.length >= 90);
  });

  it('refuses every fixture INDEX.tsv marks as broken', () => {
    const broken = index.filter(([, , , , , , notes]) => /^(BROKEN|INVALID)(?!-ish)/.test(notes ?? '')).map(([file]) => file as string);
    assert.ok(broken.length >= 5);
    for (const file of broken) assert.ok(REFUSED[file], `${file} is broken but expected to be accepted`);
  });

  for (const file of files) {
    const expected = REFUSED[file];
    it(`${expected ? 'refuses' : 'accepts'} ${file}`, () => {
      const text = readFileSync(path.join(FIXTURES, file), 'utf8');
      if (expected) {
        assert.match(refusal(text), expected);
      } else {
        const manifest = parseManifest(text);
        assert.match(manifest.name.full, /^[a-z0-9_]+\/[a-z0-9_]+$/);
      }
    });
  }

  it('reads a vendored published manifest exactly', () => {
    const manifest = parseManifest(
      readFileSync(path.join(FIXTURES, 'DanCodesRBX__sound-manager__lune_packages_.pesde_pesde+scripts_rojo_0.1.0_scripts_rojo_pesde.toml'), 'utf8'),
    );
    assert.deepEqual(manifest.target, {
      environment: 'lune',
      scripts: {
        roblox_sync_config_generator: 'roblox_sync_config_generator.luau',
        sourcemap_generator: 'sourcemap_generator.luau',
      },
    });
    assert.deepEqual(allDependencies(manifest), {
      core: [{ name: 'pesde/scripts_core', version: '^0.0.1', index: 'https://github.com/pesde-pkg/index', target: 'lune' }, 'standard'],
      rojo: [{ name: 'pesde/rojo', version: '^7.4.4', index: 'https://github.com/pesde-pkg/index' }, 'peer'],
    });
  });
});
