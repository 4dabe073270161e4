/**
 * The pieces git's network calls are built from: the credential helper, run by real git
 * (`git credential fill`), answers only for the origin's own protocol and host; deadlines
 * from the environment; the redaction every message passes.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { describe, it } from 'node:test';
import { credentialScope, gitDeadlinesFromEnv, isSshUrl, networkEnv } from '../../src/index-repo/git-network.js';
import { gitEnv } from '../../src/index-repo/git.js';
import { addSecret, redact } from '../../src/redact.js';
import { GIT_TEST_ENV } from '../helpers/git.js';

const CREDENTIALS = { GIT_USERNAME: 'bot', GIT_PASSWORD: 'helper-password-0f3a' };

/** What git's own credential machinery hands to a request for `url`, with the env built for `origin`. */
function credentialFor(origin: string, url: string): Promise<string> {
  const env = { ...process.env, ...GIT_TEST_ENV, ...CREDENTIALS, ...gitEnv(networkEnv({ url: origin, customSsh: false }, CREDENTIALS)) };
  return new Promise((resolve, reject) => {
    const child = execFile('git', ['credential', 'fill'], { env }, (error, stdout) => (error === null ? resolve(stdout) : reject(error)));
    const { protocol, host } = new URL(url);
    child.stdin!.end(`protocol=${protocol.replace(':', '')}\nhost=${host}\npath=idx.git\n\n`);
  });
}

describe('the credential helper', () => {
  it("answers for the origin's protocol and host", async () => {
    const filled = await credentialFor('https://git.example.com/acme/idx.git', 'https://git.example.com/acme/idx.git');
    assert.match(filled, /^username=bot$/m);
    assert.match(filled, /^password=helper-password-0f3a$/m);
  });

  for (const [what, url] of [
    ['another host', 'https://evil.example/acme/idx.git'],
    ['another port', 'https://git.example.com:8443/acme/idx.git'],
    ['plain http', 'http://git.example.com/acme/idx.git'],
  ] as const) {
    it(`gives nothing to ${what}`, async () => {
      // with nothing from the helper and prompts off, git gives up: no password is filled in
      const filled = await credentialFor('https://git.example.com/acme/idx.git', url).catch((error: Error) => `failed: ${error.message}`);
      assert.ok(!filled.includes('helper-password-0f3a'), filled);
    });
  }

  it('is not configured at all without GIT_USERNAME/GIT_PASSWORD; redirects are always off', () => {
    const env = networkEnv({ url: 'https://git.example.com/idx.git', customSsh: false }, {});
    const config = Object.fromEntries(Array.from({ length: Number(env.GIT_CONFIG_COUNT) }, (_, i) => [env[`GIT_CONFIG_KEY_${i}`], env[`GIT_CONFIG_VALUE_${i}`]]));
    assert.deepEqual(config, { 'http.followRedirects': 'false' });
    assert.equal(env.GIT_HTTP_LOW_SPEED_LIMIT, '1');
    assert.match(env.GIT_SSH_COMMAND ?? '', /-o ConnectTimeout=\d+/);
    assert.equal(networkEnv({ url: 'git@github.com:a/b.git', customSsh: true }, {}).GIT_SSH_COMMAND, undefined, "the user's core.sshCommand is left alone");
    assert.equal(networkEnv({ url: null, customSsh: false }, { GIT_SSH_COMMAND: 'ssh -i key' }).GIT_SSH_COMMAND, undefined);
  });

  it('scopes by what git calls protocol and host', () => {
    assert.deepEqual(credentialScope('https://bot:pw@Git.Example.com:8443/x.git'), { protocol: 'https', host: 'git.example.com:8443' });
    assert.equal(credentialScope('git@github.com:acme/idx.git'), null);
    assert.equal(credentialScope('/srv/idx.git'), null);
    assert.ok(isSshUrl('git@github.com:acme/idx.git') && isSshUrl('ssh://git@host/x') && !isSshUrl('https://host/x') && !isSshUrl('/srv/x'));
  });
});

describe('git deadlines from the environment', () => {
  it('defaults, overrides, and refusals', () => {
    assert.deepEqual(gitDeadlinesFromEnv({}), { connectMs: 10_000, totalMs: 120_000 });
    assert.deepEqual(gitDeadlinesFromEnv({ GIT_TIMEOUT: '30', GIT_CONNECT_TIMEOUT: '2.5' }), { connectMs: 2500, totalMs: 30_000 });
    assert.deepEqual(gitDeadlinesFromEnv({ GIT_TIMEOUT: '3' }), { connectMs: 3000, totalMs: 3000 }, 'a short total shortens the connect timeout');
    assert.deepEqual(gitDeadlinesFromEnv({ GIT_TIMEOUT: '30' }, { total: '5' }), { connectMs: 5000, totalMs: 5000 }, 'flags win');
    assert.throws(() => gitDeadlinesFromEnv({ GIT_TIMEOUT: '0' }), /GIT_TIMEOUT\): "0" is not a number of seconds above 0/);
    assert.throws(() => gitDeadlinesFromEnv({ GIT_TIMEOUT: '5', GIT_CONNECT_TIMEOUT: '9' }), /connect timeout \(9 s\) is longer than the total git timeout \(5 s\)/);
  });
});

describe('redact', () => {
  it('drops URL userinfo (keeping a bare ssh user) and every known secret, also escaped', () => {
    addSecret('redact-test-secret"1');
    addSecret('pw');
    const cases: Array<[string, string]> = [
      ['cannot fetch https://bot:pw@host/idx.git/: 403', 'cannot fetch https://***@host/idx.git/: 403'],
      ['https://x-access-token@github.com/a/b', 'https://***@github.com/a/b'],
      ['ssh://git@github.com/a/b and git@github.com:a/b', 'ssh://git@github.com/a/b and git@github.com:a/b'],
      ['ssh://git:pw@github.com/a/b', 'ssh://***@github.com/a/b'],
      ['token redact-test-secret"1 and {"t":"redact-test-secret\\"1"}', 'token *** and {"t":"***"}'],
      ['a short secret alone: pw, but not inside words like pwd or upward', 'a short secret alone: ***, but not inside words like pwd or upward'],
      ['nothing to hide', 'nothing to hide'],
    ];
    for (const [input, expected] of cases) assert.equal(redact(input), expected, input);
  });
});
