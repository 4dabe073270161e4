import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RegistryError } from '../../src/errors.js';
import { DEFAULT_MAX_ARCHIVE_SIZE, downloadUrl, parseIndexConfig } from '../../src/index-repo/config.js';
import { renderConfigTemplate } from '../../src/index-repo/config-template.js';

describe('parseIndexConfig', () => {
  it('applies every default', () => {
    const config = parseIndexConfig('api = "https://r.example.com/"');
    assert.deepEqual(config, {
      api: 'https://r.example.com/',
      git_allowed: false,
      other_registries_allowed: false,
      wally_allowed: false,
      max_archive_size: DEFAULT_MAX_ARCHIVE_SIZE,
      scripts_packages: [],
    });
  });

  it('reads every key and ignores unknown ones', () => {
    const config = parseIndexConfig(`
api = "http://127.0.0.1:8080"
download = "https://cdn.example.com/{PACKAGE}/{PACKAGE_VERSION}/{PACKAGE_TARGET}"
github_oauth_client_id = "abc"
git_allowed = true
other_registries_allowed = ["https://github.com/pesde-pkg/index.git"]
wally_allowed = ["https://github.com/UpliftGames/wally-index"]
max_archive_size = 1000
scripts_packages = ["pesde/scripts_rojo"]
some_future_key = { nested = 1 }
`);
    assert.equal(config.download, 'https://cdn.example.com/{PACKAGE}/{PACKAGE_VERSION}/{PACKAGE_TARGET}');
    assert.equal(config.github_oauth_client_id, 'abc');
    assert.equal(config.git_allowed, true);
    assert.deepEqual(config.other_registries_allowed, ['https://github.com/pesde-pkg/index.git']);
    assert.equal(config.max_archive_size, 1000);
    assert.deepEqual(config.scripts_packages, ['pesde/scripts_rojo']);
  });

  const invalid: Array<[string, string, RegExp[]]> = [
    ['missing api', 'git_allowed = true', [/api: missing/]],
    ['api not a URL', 'api = "registry"', [/api: "registry" is not an http\(s\) URL/]],
    ['not TOML', 'api = ', [/is not valid TOML \(line 1/]],
    [
      'every problem at once',
      'api = 3\ngit_allowed = "yes"\nmax_archive_size = -1\nscripts_packages = ["Bad/Name"]\nwally_allowed = ["not a url"]',
      [/api: 3 is not/, /git_allowed: must be true, false or an array of URLs/, /max_archive_size: -1 is not a positive/, /scripts_packages\[0\]: /, /wally_allowed: "not a url" is not a URL/],
    ],
    ['fractional size', 'api = "https://a.b"\nmax_archive_size = 1.5', [/max_archive_size: 1.5/]],
    ['empty download', 'api = "https://a.b"\ndownload = ""', [/download: must be a non-empty string/]],
  ];
  for (const [name, text, patterns] of invalid) {
    it(`rejects: ${name}`, () => {
      assert.throws(
        () => parseIndexConfig(text),
        (error: unknown) => {
          assert.ok(error instanceof RegistryError);
          assert.equal(error.kind, 'invalid_input');
          assert.ok(!error.message.includes('\n'), 'one line');
          for (const pattern of patterns) assert.match(error.message, pattern);
          return true;
        },
      );
    });
  }

  it('accepts the real public index config', () => {
    const config = parseIndexConfig(`api = "https://registry.pesde.daimond113.com"
github_oauth_client_id = "a1d648966fdfbdcd9295"
wally_allowed = ["https://github.com/UpliftGames/wally-index"]
other_registries_allowed = ["https://github.com/daimond113/pesde-index"]
scripts_packages = ["pesde/scripts_rojo"]`);
    assert.deepEqual(config.wally_allowed, ['https://github.com/UpliftGames/wally-index']);
  });
});

describe('downloadUrl', () => {
  it('percent-encodes each part like the pesde client and trims the api slash', () => {
    const config = parseIndexConfig('api = "http://127.0.0.1:8080/"');
    assert.equal(
      downloadUrl(config, 'acme/foo', '1.0.0+build.1', 'roblox_server'),
      'http://127.0.0.1:8080/v1/packages/acme%2Ffoo/1.0.0%2Bbuild.1/roblox_server/archive',
    );
  });
});

describe('renderConfigTemplate', () => {
  it('writes set values and comments out the rest, and parses back', () => {
    const text = renderConfigTemplate({ api: 'https://r.example.com', wally_allowed: true, scripts_packages: ['pesde/scripts_rojo'] });
    assert.match(text, /^api = "https:\/\/r.example.com"$/m);
    assert.match(text, /^wally_allowed = true$/m);
    assert.match(text, /^# git_allowed = false$/m);
    assert.match(text, /^# max_archive_size = 4194304$/m);
    for (const key of ['download', 'github_oauth_client_id', 'other_registries_allowed']) assert.match(text, new RegExp(`^# ${key} = `, 'm'));
    const parsed = parseIndexConfig(text);
    assert.equal(parsed.wally_allowed, true);
    assert.deepEqual(parsed.scripts_packages, ['pesde/scripts_rojo']);
    assert.equal(parsed.git_allowed, false);
  });
});
