import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bareRepoUrl, clientIndexUrl, isOwnIndexUrl, knownIndexUrls } from '../../src/index-repo/index-address.js';

describe('the index address (one home for the URLs an index is known by)', () => {
  it('knows origin as given and, for a path, as a file URL, then the named ones, once each', () => {
    assert.deepEqual(knownIndexUrls({ remote: '/srv/index.git', named: ['https://git.example/i', 'file:///srv/index.git'] }), [
      '/srv/index.git',
      'file:///srv/index.git',
      'https://git.example/i',
    ]);
    assert.deepEqual(knownIndexUrls({ remote: null, named: [] }), []);
    assert.equal(bareRepoUrl('/data/index.git'), 'file:///data/index.git');
    assert.equal(bareRepoUrl('/data/with space/index.git'), 'file:///data/with%20space/index.git');
  });

  it('gives clients origin when it is a network URL, never its credentials', () => {
    const api = 'https://registry.example';
    assert.equal(clientIndexUrl({ remote: 'https://bot:s3cret@github.com/acme/index', named: ['file:///x'] }, api), 'https://github.com/acme/index');
    assert.equal(clientIndexUrl({ remote: 'git@github.com:acme/index.git', named: [] }, api), 'git@github.com:acme/index.git');
    assert.equal(clientIndexUrl({ remote: '/srv/index.git', named: ['https://tok:en@git.example/i'] }, api), 'https://git.example/i');
    assert.equal(clientIndexUrl({ remote: '/srv/index.git', named: [] }, api), 'file:///srv/index.git');
    assert.equal(clientIndexUrl({ remote: null, named: [] }, api), api);
  });

  it('recognises a dependency on this index by any of its URLs, and no other', () => {
    const address = { remote: 'https://github.com/acme/index', named: ['https://mirror.example/index'] };
    assert.ok(isOwnIndexUrl(address, 'https://r.example', 'https://github.com/acme/index.git'));
    assert.ok(isOwnIndexUrl(address, 'https://r.example', 'https://mirror.example/index'));
    assert.ok(!isOwnIndexUrl(address, 'https://r.example', 'https://github.com/acme/other'));
  });
});
