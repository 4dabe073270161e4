import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { canonicalRepoUrl, isAllowed, sameRepoUrl } from '../../src/index-repo/allow-list.js';
import type { DependencyType, IndexConfig } from '../../src/index-repo/types.js';
import { checkDependencySources } from '../../src/package/dependency-policy.js';
import type { ManifestDependencyEntry, ManifestDependencySpecifier } from '../../src/package/manifest.js';
import { assertRegistryError } from '../helpers/registry-error.js';
import { testIndexConfig } from '../helpers/index-config.js';

const OWN = 'https://github.com/acme/index';
const OTHER = 'https://github.com/pesde-pkg/index';
const WALLY = 'https://github.com/UpliftGames/wally-index';

const config = testIndexConfig;

const pesde = (index: string): ManifestDependencySpecifier => ({ name: 'acme/dep', version: '^1.0.0', index });
const wally = (index = WALLY): ManifestDependencySpecifier => ({ wally: 'wally#evaera/promise', version: '^4.0.0', index });
const git = (repo = 'https://github.com/acme/git-dep'): ManifestDependencySpecifier => ({ repo, rev: 'main' });

const deps = (spec: ManifestDependencySpecifier, type: DependencyType = 'standard'): Record<string, ManifestDependencyEntry> => ({
  dep: [spec, type],
});

function check(
  spec: ManifestDependencySpecifier,
  type: DependencyType,
  overrides: Partial<IndexConfig> = {},
  own: string[] = [OWN],
): string | undefined {
  try {
    checkDependencySources(deps(spec, type), config(overrides), own);
    return undefined;
  } catch (error) {
    return assertRegistryError(error, 'invalid_package');
  }
}

describe('allow-list URL comparison', () => {
  it('ignores a trailing .git, trailing slashes and the case of scheme and host', () => {
    for (const variant of [
      'https://github.com/acme/index.git',
      'https://github.com/acme/index/',
      'https://github.com/acme/index.git/',
      'HTTPS://GitHub.COM/acme/index',
      ' https://github.com/acme/index ',
    ]) {
      assert.ok(sameRepoUrl(OWN, variant), variant);
    }
  });

  it('keeps paths, schemes, users and ports apart', () => {
    for (const other of [
      'https://github.com/Acme/index',
      'https://github.com/acme/index2',
      'http://github.com/acme/index',
      'https://gitlab.com/acme/index',
      'https://github.com:8443/acme/index',
      'ssh://git@github.com/acme/index',
    ]) {
      assert.ok(!sameRepoUrl(OWN, other), other);
    }
  });

  it('reads scp-like addresses as ssh URLs', () => {
    assert.ok(sameRepoUrl('git@github.com:acme/index.git', 'ssh://git@github.com/acme/index'));
    assert.equal(canonicalRepoUrl('git@github.com:acme/index.git'), 'ssh://git@github.com/acme/index');
  });

  it('reads absolute paths (local remotes) as file URLs', () => {
    assert.ok(sameRepoUrl('/srv/git/index.git', 'file:///srv/git/index'));
    assert.ok(sameRepoUrl('/srv/git/index/', '/srv/git/index'));
    assert.ok(!sameRepoUrl('/srv/git/index', '/srv/git/other'));
    assert.equal(canonicalRepoUrl('C:\\git\\index.git'), 'file:///C:/git/index');
  });

  it('never matches something that is not a URL', () => {
    assert.equal(canonicalRepoUrl('default'), undefined);
    assert.ok(!sameRepoUrl('default', 'default'));
    assert.ok(!isAllowed(true, 'default'));
  });

  it('allows everything with true, nothing with false, and the listed URLs with a list', () => {
    assert.ok(isAllowed(true, OTHER));
    assert.ok(!isAllowed(false, OTHER));
    assert.ok(isAllowed([`${OTHER}.git`], OTHER), 'list entries are compared without .git too');
    assert.ok(isAllowed([OTHER], `${OTHER}.git/`));
    assert.ok(!isAllowed([OTHER], WALLY));
    assert.ok(!isAllowed([], OTHER));
  });
});

describe('checkDependencySources', () => {
  it('always allows pesde dependencies on this index, however its URL is written', () => {
    for (const url of [OWN, `${OWN}.git`, `${OWN}/`]) assert.equal(check(pesde(url), 'standard'), undefined, url);
  });

  it('recognises this index by its local path too', () => {
    assert.equal(check(pesde('file:///srv/git/index.git'), 'standard', {}, ['/srv/git/index.git']), undefined);
    assert.match(check(pesde('/srv/git/other'), 'standard', {}, ['/srv/git/index.git']) ?? '', /another index/);
  });

  it('applies other_registries_allowed to pesde dependencies on other indices', () => {
    assert.equal(
      check(pesde(OTHER), 'standard'),
      `pesde.toml: dependencies.dep: depends on a package from another index (${OTHER}), which this registry does not allow (other_registries_allowed in its config.toml)`,
    );
    assert.match(check(pesde(OTHER), 'peer') ?? '', /^pesde\.toml: peer_dependencies\.dep: depends on a package from another index/);
    assert.equal(check(pesde(OTHER), 'standard', { other_registries_allowed: true }), undefined);
    assert.equal(check(pesde(OTHER), 'standard', { other_registries_allowed: [`${OTHER}.git`] }), undefined);
    assert.match(check(pesde(OTHER), 'standard', { other_registries_allowed: ['https://example.com/idx'] }) ?? '', /another index/);
  });

  it('does not let listing this index in other_registries_allowed open it to every index', () =>
    assert.match(check(pesde(OTHER), 'standard', { other_registries_allowed: [OWN] }) ?? '', /another index/));

  it('applies wally_allowed to Wally dependencies', () => {
    assert.equal(
      check(wally(), 'standard'),
      `pesde.toml: dependencies.dep: depends on a Wally package from ${WALLY}, which this registry does not allow (wally_allowed in its config.toml)`,
    );
    assert.equal(check(wally(), 'peer', { wally_allowed: true }), undefined);
    assert.equal(check(wally(), 'standard', { wally_allowed: [`${WALLY}.git`] }), undefined);
    assert.match(check(wally(), 'standard', { wally_allowed: [OTHER] }) ?? '', /Wally package/);
  });

  it('applies git_allowed to Git dependencies', () => {
    assert.equal(
      check(git(), 'standard'),
      'pesde.toml: dependencies.dep: depends on the Git repository https://github.com/acme/git-dep, which this registry does not allow (git_allowed in its config.toml)',
    );
    assert.equal(check(git(), 'standard', { git_allowed: true }), undefined);
    assert.equal(check(git('https://github.com/acme/git-dep.git'), 'standard', { git_allowed: ['https://github.com/acme/git-dep'] }), undefined);
    assert.match(check(git(), 'peer', { git_allowed: ['https://github.com/acme/other'] }) ?? '', /Git repository/);
  });

  it('does not check the sources of dev dependencies', () => {
    for (const spec of [pesde(OTHER), pesde('default'), wally(), git()]) assert.equal(check(spec, 'dev'), undefined);
  });

  it('refuses an index that is not a URL', () => {
    assert.equal(
      check(pesde('default'), 'standard', { other_registries_allowed: true }),
      'pesde.toml: dependencies.dep: index "default" is not a URL: publish with the pesde client, which replaces index names with their URLs',
    );
    assert.match(check(wally('default'), 'standard', { wally_allowed: true }) ?? '', /index "default" is not a URL/);
  });

  it('refuses workspace and path dependencies in every table', () => {
    for (const type of ['standard', 'peer', 'dev'] as const) {
      assert.match(check({ workspace: 'acme/ws', version: '^' }, type) ?? '', /workspace dependencies cannot be published: publish with the pesde client/);
      assert.match(check({ path: '../local' }, type) ?? '', /path dependencies cannot be published: depend on a published version instead/);
    }
  });

  it('checks every dependency', () => {
    assert.throws(
      () =>
        checkDependencySources(
          { a: [pesde(OWN), 'standard'], b: [pesde(OWN), 'peer'], z: [git(), 'standard'] },
          config(),
          [OWN],
        ),
      /dependencies\.z: depends on the Git repository/,
    );
  });
});
