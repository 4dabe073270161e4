import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import type { TargetKind, VersionId } from '../../src/index-repo/types.js';
import {
  compareVersionIds,
  compareVersions,
  formatVersionId,
  isPrerelease,
  parseVersion,
  parseVersionId,
} from '../../src/index-repo/version.js';
import { parseVersionReq, versionReqMatches } from '../../src/index-repo/version-req.js';
import { cloneFixtureIndex, git } from '../helpers/fixture-index.js';
import { assertInvalid } from '../helpers/registry-error.js';

describe('parseVersion', () => {
  const valid = [
    '0.0.0',
    '1.2.3',
    '10.20.30',
    '1.0.0-alpha',
    '1.0.0-alpha.1',
    '1.0.0-0.3.7',
    '1.0.0-x.7.z.92',
    '1.0.0-x-y-z.--',
    '0.1.0-patch-10',
    '1.0.0+20130313144700',
    '1.0.0-beta+exp.sha.5114f85',
    '1.0.0+21AF26D3----117B344092BD',
    // Build metadata may have leading zeros; pre-release numbers may not.
    '1.0.0+001',
    '0.11.18+toolchainlib.1',
    '18446744073709551615.18446744073709551615.18446744073709551615',
  ];
  for (const version of valid) {
    it(`accepts ${version} unchanged`, () => assert.equal(parseVersion(version), version));
  }

  const invalid: Array<[string, RegExp]> = [
    ['', /empty string, expected a semver version/],
    ['v1.0.0', /unexpected character 'v' while parsing major version number/],
    ['1', /unexpected end of input while parsing major version number/],
    ['1.0', /unexpected end of input while parsing minor version number/],
    ['01.0.0', /invalid leading zero in major version number/],
    ['1.01.0', /invalid leading zero in minor version number/],
    ['1.0.00', /invalid leading zero in patch version number/],
    ['1.0.0-', /empty identifier segment in pre-release identifier/],
    ['1.0.0-01', /invalid leading zero in pre-release identifier/],
    ['1.0.0-a..b', /empty identifier segment in pre-release identifier/],
    ['1.0.0+', /empty identifier segment in build metadata/],
    ['1.0.0+a.', /empty identifier segment in build metadata/],
    ['1.0.0 ', /unexpected character ' ' after patch version number/],
    [' 1.0.0', /unexpected character ' ' while parsing major version number/],
    ['1.0.0.0', /unexpected character '.' after patch version number/],
    ['1.0.0-beta!', /unexpected character '!' after pre-release identifier/],
    ['1.0.0+a_b', /unexpected character '_' after build metadata/],
    ['18446744073709551616.0.0', /value of major version number exceeds u64::MAX/],
  ];
  for (const [version, message] of invalid) {
    it(`rejects ${JSON.stringify(version)}`, () => assertInvalid(() => parseVersion(version), message));
  }

  it('names the input in its error', () => {
    assertInvalid(() => parseVersion('1.0'), /^invalid version "1\.0": /);
  });
});

describe('compareVersions', () => {
  it('orders by precedence: pre-releases before their release, then build metadata', () => {
    // Each strictly greater than the one before, as Rust's `Version: Ord` says.
    const ascending = [
      '0.0.1',
      '0.1.0',
      '1.0.0-0',
      '1.0.0-2',
      '1.0.0-10',
      '1.0.0-alpha',
      '1.0.0-alpha.1',
      '1.0.0-alpha.beta',
      '1.0.0-beta',
      '1.0.0-beta.2',
      '1.0.0-beta.11',
      '1.0.0-rc.1',
      '1.0.0-rc.1+build',
      '1.0.0',
      '1.0.0+0',
      '1.0.0+00',
      '1.0.0+1',
      '1.0.0+01',
      '1.0.0+2',
      '1.0.0+10',
      '1.0.0+a',
      '1.0.0+a.0',
      '1.0.0+b',
      '1.0.1',
      '1.2.0',
      '1.10.0',
      '2.0.0',
      '10.0.0',
      '9007199254740993.0.0',
      '18446744073709551615.0.0',
    ];
    for (let i = 0; i < ascending.length; i++) {
      for (let j = 0; j < ascending.length; j++) {
        const a = ascending[i] as string;
        const b = ascending[j] as string;
        assert.equal(Math.sign(compareVersions(a, b)), Math.sign(i - j), `${a} vs ${b}`);
      }
    }
    const shuffled = [...ascending].reverse();
    assert.deepEqual(shuffled.sort(compareVersions), ascending);
  });

  it('treats only identical text as equal', () => {
    assert.equal(compareVersions('1.0.0+abc', '1.0.0+abc'), 0);
    assert.notEqual(compareVersions('1.0.0+abc', '1.0.0+abd'), 0);
  });

  it('knows pre-releases', () => {
    assert.equal(isPrerelease('1.0.0-rc.1'), true);
    assert.equal(isPrerelease('1.0.0'), false);
    assert.equal(isPrerelease('1.0.0+rc.1'), false);
  });
});

describe('version ids', () => {
  it('parses and formats "<version> <target>"', () => {
    const id = parseVersionId('1.0.0-rc.1+b.5 roblox_server');
    assert.deepEqual(id, { version: '1.0.0-rc.1+b.5', target: 'roblox_server' });
    assert.equal(formatVersionId(id), '1.0.0-rc.1+b.5 roblox_server');
  });

  const invalid: Array<[string, RegExp]> = [
    ['1.0.0', /invalid version id "1\.0\.0": expected "<version> <target>"/],
    ['1.0.0 windows', /invalid target kind "windows"/],
    ['1.0 luau', /invalid version "1\.0"/],
    ['1.0.0  luau', /invalid target kind " luau"/],
  ];
  for (const [input, message] of invalid) {
    it(`rejects ${JSON.stringify(input)}`, () => assertInvalid(() => parseVersionId(input), message));
  }

  it('orders by version, then roblox < roblox_server < lune < luau', () => {
    const id = (version: string, target: TargetKind): VersionId => ({ version, target });
    const ascending = [
      id('0.9.0', 'luau'),
      id('1.0.0-rc.1', 'roblox'),
      id('1.0.0-rc.1', 'luau'),
      id('1.0.0', 'roblox'),
      id('1.0.0', 'roblox_server'),
      id('1.0.0', 'lune'),
      id('1.0.0', 'luau'),
      id('1.0.0+build', 'roblox'),
      id('1.0.1', 'roblox'),
    ];
    assert.deepEqual([...ascending].reverse().sort(compareVersionIds), ascending);
    assert.equal(compareVersionIds(id('1.0.0', 'lune'), id('1.0.0', 'lune')), 0);
  });
});

describe('parseVersionReq', () => {
  const normalised: Array<[string, string]> = [
    ['1.2.3', '^1.2.3'],
    ['^1.2.3', '^1.2.3'],
    ['1.2', '^1.2'],
    ['1', '^1'],
    ['=1.2.3', '=1.2.3'],
    ['~1.2', '~1.2'],
    ['>0.8.0', '>0.8.0'],
    ['<1.0.0-rc.1', '<1.0.0-rc.1'],
    ['1.2.3-beta.1', '^1.2.3-beta.1'],
    ['>=1.0,<2.0', '>=1.0, <2.0'],
    ['>= 1.0 , < 2.0', '>=1.0, <2.0'],
    ['>=0.10.2, <0.11.0', '>=0.10.2, <0.11.0'],
    ['  ^1.2.3  ', '^1.2.3'],
    ['*', '*'],
    [' * ', '*'],
    ['x', '*'],
    ['X', '*'],
    ['1.*', '1.*'],
    ['1.x', '1.*'],
    ['1.*.*', '1.*'],
    ['1.2.*', '1.2.*'],
    ['1.2.X', '1.2.*'],
    // An explicit operator keeps its meaning and the wildcard disappears from the text.
    ['>=1.*', '>=1'],
    ['^1.2.*', '^1.2'],
    // Build metadata is accepted and dropped.
    ['=1.0.0+build', '=1.0.0'],
    ['^0.29.0+toolchainlib.1', '^0.29.0'],
    [Array.from({ length: 32 }, () => '>=1').join(','), Array.from({ length: 32 }, () => '>=1').join(', ')],
  ];
  for (const [input, output] of normalised) {
    it(`prints ${JSON.stringify(input.length > 30 ? `${input.slice(0, 30)}...` : input)} as Rust does`, () =>
      assert.equal(parseVersionReq(input), output));
  }

  const invalid: Array<[string, RegExp]> = [
    ['', /unexpected end of input while parsing major version number/],
    ['^', /unexpected end of input while parsing major version number/],
    ['v1.0.0', /unexpected character 'v' while parsing major version number/],
    ['01.0', /invalid leading zero in major version number/],
    ['1.2.3 - 2.0.0', /expected comma after patch version number, found '-'/],
    ['1 || 2', /expected comma after major version number, found '\|'/],
    ['*, 1.0', /wildcard req \(\*\) must be the only comparator/],
    ['1.0, *', /wildcard req \(\*\) must be the only comparator/],
    ['1.*.3', /unexpected character after wildcard in version req/],
    ['* 1', /unexpected character after wildcard in version req/],
    ['1.2.3-', /empty identifier segment in pre-release identifier/],
    ['>=1.0,', /unexpected end of input while parsing major version number/],
    ['=>1.0', /unexpected character '>' while parsing major version number/],
    [Array.from({ length: 33 }, () => '>=1').join(','), /excessive number of version comparators/],
  ];
  for (const [input, message] of invalid) {
    it(`rejects ${JSON.stringify(input.length > 30 ? `${input.slice(0, 30)}...` : input)}`, () =>
      assertInvalid(() => parseVersionReq(input), message));
  }

  it('names the input in its error', () => {
    assertInvalid(() => parseVersionReq('1 || 2'), /^invalid version requirement "1 \|\| 2": /);
  });

  it('leaves every requirement in the real index as it is (they were printed by Rust)', async () => {
    const repo = await cloneFixtureIndex();
    const files = (await git(repo, ['ls-files'])).split('\n').filter((f) => f.includes('/') && !f.endsWith('/scope.toml'));
    const requirements = new Set<string>();
    for (const file of files) {
      const text = await readFile(path.join(repo, file), 'utf8');
      for (const m of text.matchAll(/version = "([^"]*)"|^(?:pesde|lune) = "([^"]*)"$/gm)) requirements.add((m[1] ?? m[2]) as string);
    }
    assert.ok(requirements.size > 200, `found only ${requirements.size} requirements`);
    for (const req of requirements) assert.equal(parseVersionReq(req), req);
  });
});

describe('versionReqMatches', () => {
  const cases: Array<[string, string, boolean]> = [
    ['^1.2.3', '1.2.3', true],
    ['^1.2.3', '1.9.0', true],
    ['^1.2.3', '2.0.0', false],
    ['^1.2.3', '1.2.2', false],
    ['^0.2.3', '0.2.9', true],
    ['^0.2.3', '0.3.0', false],
    ['^0.0.3', '0.0.3', true],
    ['^0.0.3', '0.0.4', false],
    ['^0', '0.9.9', true],
    ['^0.0', '0.0.5', true],
    ['^0.0', '0.1.0', false],
    ['^1', '1.99.0', true],
    ['~1.2.3', '1.2.9', true],
    ['~1.2.3', '1.3.0', false],
    ['~1', '1.9.0', true],
    ['=1.2.3', '1.2.3', true],
    ['=1.2.3', '1.2.3+build.1', true],
    ['=1.2', '1.2.7', true],
    ['=1.2', '1.3.0', false],
    ['>=1.0, <2.0', '1.5.0', true],
    ['>=1.0, <2.0', '2.0.0', false],
    ['>=1.0, <2.0', '0.9.0', false],
    ['>1.2', '1.2.9', false],
    ['>1.2', '1.3.0', true],
    ['<1.2', '1.1.9', true],
    ['<1.2', '1.2.0', false],
    ['<=1.2', '1.2.9', true],
    ['1.*', '1.5.0', true],
    ['1.*', '2.0.0', false],
    ['1.2.*', '1.2.0', true],
    ['*', '1.0.0', true],
    // A pre-release only matches a comparator naming a pre-release of the same version.
    ['*', '1.0.0-rc.1', false],
    ['^1.2.3', '1.2.4-rc.1', false],
    ['^1.2.3-rc.1', '1.2.3-rc.2', true],
    ['^1.2.3-rc.1', '1.2.3-rc.0', false],
    ['^1.2.3-rc.1', '1.2.3', true],
    ['^1.2.3-rc.1', '1.2.4-rc.1', false],
    ['>1.2.3-alpha.3', '1.2.3-alpha.7', true],
    ['>1.2.3-alpha.3', '3.4.5-alpha.9', false],
    ['>1.2.3-alpha.3', '3.4.5', true],
    ['=1.0.0-rc.1', '1.0.0-rc.1', true],
    ['>=1.0.0-rc.1, <2.0.0', '1.5.0-rc.1', false],
  ];
  for (const [req, version, expected] of cases) {
    it(`${req} ${expected ? 'matches' : 'does not match'} ${version}`, () => assert.equal(versionReqMatches(req, version), expected));
  }
});
