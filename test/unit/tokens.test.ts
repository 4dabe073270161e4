/**
 * The pieces of per-user tokens that need no server: token format, records, the user
 * directory, the replica cache (against a real file-system store), expiry parsing and the
 * audit trailer round trip.
 */
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import { auditTrailers, parseAuditTrailer, publishAudit, trailerValue } from '../../src/audit/trailer.js';
import { describeSubject } from '../../src/audit/history.js';
import { parseExpires, parseScopesFlag } from '../../src/commands/token.js';
import { assertMayWrite, unrestrictedIdentity, type Identity } from '../../src/identity.js';
import { silentLogger, type Logger } from '../../src/server/logger.js';
import { FsStorage } from '../../src/storage/fs-storage.js';
import { TokenCache } from '../../src/tokens/token-cache.js';
import { parseTokenRecord, recordKey, tokenStatus, type TokenRecord } from '../../src/tokens/token-record.js';
import { hashToken, newToken, newTokenId, tokenIdOf, tokenMatches } from '../../src/tokens/token-secret.js';
import { TokenStore } from '../../src/tokens/token-store.js';
import { UserDirectory } from '../../src/tokens/user-directory.js';
import { tempDir } from '../helpers/git.js';

function record(overrides: Partial<TokenRecord> = {}): TokenRecord {
  const id = overrides.id ?? newTokenId();
  return {
    format: 1,
    id,
    user: 'alice',
    userId: 7,
    sha256: hashToken(newToken(id)),
    scopes: 'all',
    readOnly: false,
    createdAt: '2026-01-01T00:00:00.000Z',
    expiresAt: null,
    note: '',
    revokedAt: null,
    ...overrides,
  };
}

function recordingLogger(): Logger & { warnings: string[] } {
  const warnings: string[] = [];
  return { ...silentLogger, warn: (message: string) => void warnings.push(message), warnings };
}

describe('token format', () => {
  it('is pesde_<id>_<43 base64url characters>, random, and found by its id', () => {
    const id = newTokenId();
    const a = newToken(id);
    const b = newToken(id);
    assert.match(a, /^pesde_t[0-9a-f]{12}_[A-Za-z0-9_-]{43}$/);
    assert.notEqual(a, b);
    assert.equal(tokenIdOf(a), id);
    for (const bad of ['', 'pesde_', `pesde_${id}`, `${a}x`, a.slice(0, -1), a.replace('pesde_', 'pesdf_'), `Bearer ${a}`, a.toUpperCase()]) {
      assert.equal(tokenIdOf(bad), null, bad);
    }
  });

  it('matches only its own hash', () => {
    const token = newToken(newTokenId());
    const hash = hashToken(token);
    assert.equal(tokenMatches(token, hash), true);
    // one character changed (never to itself: the last one may already be an A)
    const changed = `${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`;
    assert.equal(tokenMatches(changed, hash), false);
    assert.equal(tokenMatches(token, 'abcd'), false);
    assert.ok(!hash.includes(token.slice(20)));
  });
});

describe('token records', () => {
  it('round-trips and rejects every malformed field', () => {
    const good = record();
    const key = recordKey(good.id);
    assert.deepEqual(parseTokenRecord(JSON.stringify(good), key), good);
    const broken: Array<[string, unknown]> = [
      ['format', 2], ['id', 'tffffffffffff'], ['user', 'Alice'], ['userId', -1], ['userId', 1.5], ['sha256', 'x'],
      ['scopes', 'acme'], ['readOnly', 'no'], ['createdAt', 'yesterday'], ['expiresAt', 'soon'], ['revokedAt', 5], ['note', null],
    ];
    for (const [field, value] of broken) {
      assert.throws(() => parseTokenRecord(JSON.stringify({ ...good, [field]: value }), key), new RegExp(`"${field}"`), field);
    }
    assert.throws(() => parseTokenRecord('{', key), /not valid JSON/);
    assert.throws(() => parseTokenRecord('[]', key), /no valid "format"|not a JSON object/);
  });

  it('has a status: active, revoked, expired', () => {
    const now = Date.parse('2026-06-01T00:00:00Z');
    assert.equal(tokenStatus(record(), now), 'active');
    assert.equal(tokenStatus(record({ expiresAt: '2026-05-31T23:59:59Z' }), now), 'expired');
    assert.equal(tokenStatus(record({ expiresAt: '2026-06-02T00:00:00Z' }), now), 'active');
    assert.equal(tokenStatus(record({ revokedAt: '2026-02-01T00:00:00Z', expiresAt: '2026-01-02T00:00:00Z' }), now), 'revoked');
  });
});

describe('user directory', () => {
  it('binds a name and an id by their first token, revoked ones included', () => {
    const dir = new UserDirectory([
      record({ user: 'alice', userId: 7, revokedAt: '2026-01-02T00:00:00Z' }),
      record({ user: 'bob', userId: 8, createdAt: '2026-01-03T00:00:00.000Z' }),
    ]);
    assert.equal(dir.idFor('alice', undefined), 7);
    assert.equal(dir.idFor('alice', 7), 7);
    assert.equal(dir.idFor('carol', undefined), 9);
    assert.equal(dir.idFor('carol', 3), 3);
    assert.throws(() => dir.idFor('carol', 7), /user id 7 belongs to "alice"/);
    assert.throws(() => dir.idFor('alice', 3), /user "alice" has id 7/);
    assert.deepEqual(dir.users(), [{ user: 'alice', userId: 7 }, { user: 'bob', userId: 8 }]);
  });

  it('starts ids at 1 (0 is the shared tokens\' publisher)', () => {
    assert.equal(new UserDirectory([]).idFor('first', undefined), 1);
  });
});

describe('scope restrictions', () => {
  const token = (scopes: string[] | 'all', readOnly = false): Identity => ({ kind: 'token', userId: 7, userName: 'alice', tokenId: 't000000000001', scopes, readOnly });
  it('lets a token write only in its scopes, naming the scope when it cannot', () => {
    assert.doesNotThrow(() => assertMayWrite(token(['acme']), 'acme'));
    assert.doesNotThrow(() => assertMayWrite(token('all'), 'other'));
    assert.doesNotThrow(() => assertMayWrite(undefined, 'other'));
    assert.throws(() => assertMayWrite(token(['acme', 'tools']), 'other'), (e: Error & { kind?: string }) => e.kind === 'forbidden' && /scope "other" \(its scopes: acme, tools\)/.test(e.message));
    assert.throws(() => assertMayWrite(token('all', true), 'acme'), /read-only/);
    assert.doesNotThrow(() => assertMayWrite(unrestrictedIdentity('github', 5, 'GitHub user 5'), 'any'));
  });
});

describe('token create flags', () => {
  const now = Date.parse('2026-06-01T00:00:00Z');
  it('parses --expires', () => {
    assert.equal(parseExpires('90d', now), '2026-08-30T00:00:00.000Z');
    assert.equal(parseExpires('12h', now), '2026-06-01T12:00:00.000Z');
    assert.equal(parseExpires('30m', now), '2026-06-01T00:30:00.000Z');
    assert.equal(parseExpires('never', now), null);
    assert.equal(parseExpires(undefined, now), null);
    assert.equal(parseExpires('2027-01-31', now), '2027-01-31T00:00:00.000Z');
    for (const bad of ['0d', '-1d', '5y', 'tomorrow', '2020-01-01', '']) assert.throws(() => parseExpires(bad, now), /--expires/, bad);
  });
  it('parses --scopes', () => {
    assert.equal(parseScopesFlag(undefined), 'all');
    assert.equal(parseScopesFlag('all'), 'all');
    assert.deepEqual(parseScopesFlag('tools, acme,acme'), ['acme', 'tools']);
    for (const bad of ['', ',', 'ab', 'Acme', '_x_', 'a/b']) assert.throws(() => parseScopesFlag(bad), /--scopes/, bad);
  });
});

describe('audit trailers', () => {
  it('makes one parseable trailer per write (the writer puts it after the official first line)', () => {
    const alice: Identity = { kind: 'token', userId: 7, userName: 'alice', tokenId: 't3f9a12bc4d5e', scopes: 'all', readOnly: false };
    assert.deepEqual(auditTrailers('add', alice), [['Published-by', 'alice (id 7, token t3f9a12bc4d5e)']]);
    assert.deepEqual(auditTrailers('undeprecate', alice), [['Undeprecated-by', 'alice (id 7, token t3f9a12bc4d5e)']]);
    assert.equal(auditTrailers('yank', undefined), undefined);
    assert.deepEqual(publishAudit(alice), { identity: alice, actor: 'alice (id 7, token t3f9a12bc4d5e)', trailers: [['Published-by', 'alice (id 7, token t3f9a12bc4d5e)']] });
    assert.deepEqual(publishAudit(undefined), {});
    assert.deepEqual(parseAuditTrailer('Published-by: alice (id 7, token t3f9a12bc4d5e)'), { raw: 'alice (id 7, token t3f9a12bc4d5e)', key: 'Published-by', userName: 'alice', userId: 7, tokenId: 't3f9a12bc4d5e', via: 'token' });
    const cli = unrestrictedIdentity('cli', 3, 'Ann (Ops)\nLee <ann@x.dev>');
    assert.equal(trailerValue(cli), 'Ann Ops Lee <ann@x.dev> (id 3, via cli)');
    assert.deepEqual(parseAuditTrailer(`Yanked-by: ${trailerValue(cli)}`)?.via, 'cli');
    assert.equal(parseAuditTrailer('Signed-off-by: x <x@y>')?.userId, null);
    assert.equal(parseAuditTrailer('Co-authored: x'), null);
  });

  it('reads what a commit did from its subject', () => {
    assert.deepEqual(describeSubject('add acme/foo@1.0.0+b.1 roblox'), { action: 'publish', package: 'acme/foo', scope: 'acme', version: '1.0.0+b.1', targets: ['roblox'] });
    assert.deepEqual(describeSubject('yank acme/foo@1.0.0 roblox, luau').targets, ['roblox', 'luau']);
    assert.equal(describeSubject('undeprecate acme/foo').action, 'undeprecate');
    assert.equal(describeSubject('add owner 7 to acme').action, 'add-owner');
    assert.equal(describeSubject('remove owner 7 from acme').scope, 'acme');
    assert.equal(describeSubject('Initial commit').action, 'other');
  });
});

describe('token cache (a replica\'s copy of the store)', () => {
  it('sees creations and revocations on refresh and skips corrupt records (an unreadable store: token-replicas.test.ts)', async () => {
    const { dir, cleanup } = await tempDir('pesde-token-cache-');
    try {
      const storage = new FsStorage(path.join(dir, 'store'));
      const store = new TokenStore(storage);
      const logger = recordingLogger();
      const cache = new TokenCache({ storage, logger, intervalMs: 60_000 });
      assert.equal(cache.inUse, true, 'fails closed before the first read');
      await cache.refresh();
      assert.equal(cache.inUse, false, 'an empty store: no per-user tokens');

      const { token, record: created } = await store.create({ user: 'alice', scopes: ['acme'], readOnly: false, expiresAt: null, note: '' });
      assert.deepEqual(cache.lookup(token), { ok: false, reason: 'unknown' }, 'not before the next refresh');
      await cache.refresh();
      const found = cache.lookup(token);
      assert.ok(found.ok);
      assert.deepEqual(found.identity, { kind: 'token', userId: 1, userName: 'alice', tokenId: created.id, scopes: ['acme'], readOnly: false });
      assert.deepEqual(cache.lookup(`${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`), { ok: false, reason: 'unknown' });
      assert.deepEqual(cache.lookup('pesde_nope'), { ok: false, reason: 'malformed' });

      const expiring = await store.create({ user: 'bob', scopes: 'all', readOnly: true, expiresAt: new Date(Date.now() + 60_000).toISOString(), note: '' });
      await store.revoke(created.id);
      await mkdir(path.join(dir, 'store', '_tokens'), { recursive: true });
      await writeFile(path.join(dir, 'store', '_tokens', 'tabcdefabcdef.json'), '{"format":1,');
      await writeFile(path.join(dir, 'store', '_tokens', 'README'), 'not a record');
      await cache.refresh();
      assert.deepEqual(cache.lookup(token), { ok: false, reason: 'revoked' });
      assert.equal(cache.lookup(expiring.token).ok, true);
      assert.deepEqual(cache.lookup(expiring.token, Date.now() + 120_000), { ok: false, reason: 'expired' });
      assert.ok(logger.warnings.some((w) => w.includes('tabcdefabcdef.json is not valid JSON')), logger.warnings.join('\n'));
      assert.ok(logger.warnings.some((w) => w.includes('_tokens/README')), logger.warnings.join('\n'));
      assert.equal(cache.lastError, null);

    } finally {
      await cleanup();
    }
  });
});
