/** Trust rules against claims: table-driven, one row per condition that may or may not hold. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { describeClaims, parseTrustRule, ruleKey, ruleMatches, seenClaims, type TrustRule } from '../../src/trust/trust-rule.js';
import { DEFAULT_RETRY_POLICY, retryDelay } from '../../src/registry-client/retry-policy.js';

const GITHUB = 'https://token.actions.githubusercontent.com';
const rule = (over: Partial<TrustRule> = {}): TrustRule => ({
  format: 1, id: 'r0123456789ab', issuer: GITHUB, repository: 'acme/tools', ref: null, workflow: null, environment: null,
  scopes: ['acme'], user: 'ci', userId: 3, createdAt: '2026-01-01T00:00:00.000Z', ...over,
});
const claims = (over: Record<string, unknown> = {}) => ({
  iss: GITHUB, repository: 'acme/tools', ref: 'refs/tags/v1.2.0', workflow_ref: 'acme/tools/.github/workflows/publish.yml@refs/tags/v1.2.0', environment: 'release', run_id: 99, ...over,
});

describe('ruleMatches', () => {
  const rows: Array<[string, Partial<TrustRule>, Record<string, unknown>, boolean]> = [
    ['repository only', {}, {}, true],
    ['repository, other case', { repository: 'Acme/Tools' }, {}, true],
    ['another repository', {}, { repository: 'acme/other' }, false],
    ['another issuer', {}, { iss: 'https://gitlab.com' }, false],
    ['no repository claim', {}, { repository: undefined }, false],
    ['GitLab project_path', { issuer: 'https://gitlab.com', repository: 'group/sub/project' }, { iss: 'https://gitlab.com', repository: undefined, project_path: 'group/sub/project' }, true],
    ['ref pattern matches', { ref: 'refs/tags/v*' }, {}, true],
    ['ref pattern, a branch', { ref: 'refs/tags/v*' }, { ref: 'refs/heads/v1' }, false],
    ['ref pattern is anchored', { ref: 'refs/tags/v1' }, { ref: 'refs/tags/v1.2.0' }, false],
    ['ref pattern dots are literal', { ref: 'refs/tags/v1.2.0' }, { ref: 'refs/tags/v1x2x0' }, false],
    ['ref required, none given', { ref: '*' }, { ref: undefined }, false],
    ['workflow file name', { workflow: 'publish.yml' }, {}, true],
    ['workflow path', { workflow: '.github/workflows/publish.yml' }, {}, true],
    ['another workflow', { workflow: 'publish.yml' }, { workflow_ref: 'acme/tools/.github/workflows/other.yml@refs/tags/v1' }, false],
    ['a workflow named like a suffix', { workflow: 'publish.yml' }, { workflow_ref: 'acme/tools/.github/workflows/notpublish.yml@x' }, false],
    ['environment', { environment: 'release' }, {}, true],
    ['another environment', { environment: 'release' }, { environment: 'staging' }, false],
    ['environment required, none given', { environment: 'release' }, { environment: undefined }, false],
  ];
  for (const [name, over, claimOver, expected] of rows) {
    it(name, () => assert.equal(ruleMatches(rule(over), seenClaims(claims(claimOver))), expected));
  }

  it('describes the claims it saw, numbers as text, missing ones as none', () => {
    assert.equal(
      describeClaims(seenClaims(claims({ environment: undefined }))),
      `issuer "${GITHUB}", repository "acme/tools", ref "refs/tags/v1.2.0", workflow ".github/workflows/publish.yml", environment none`,
    );
    assert.equal(seenClaims(claims()).runId, '99');
  });
});

describe('parseTrustRule', () => {
  it('reads back what the store writes, and refuses anything else', () => {
    const good = rule();
    assert.deepEqual(parseTrustRule(JSON.stringify(good), ruleKey(good.id)), good);
    assert.match(String(parseTrustRule(JSON.stringify(good), ruleKey('r999999999999'))), /not a trust rule/);
    assert.match(String(parseTrustRule(JSON.stringify({ ...good, scopes: [] }), ruleKey(good.id))), /not a trust rule/);
    assert.match(String(parseTrustRule('{', ruleKey(good.id))), /not JSON/);
  });
});

describe('retryDelay', () => {
  it('backs off exponentially with jitter, honours a short Retry-After, and stops', () => {
    assert.equal(retryDelay(DEFAULT_RETRY_POLICY, 1, null, () => 0), 250);
    assert.equal(retryDelay(DEFAULT_RETRY_POLICY, 1, null, () => 1), 500);
    assert.equal(retryDelay(DEFAULT_RETRY_POLICY, 3, null, () => 1), 2000);
    assert.equal(retryDelay(DEFAULT_RETRY_POLICY, 4, null), null);
    assert.equal(retryDelay(DEFAULT_RETRY_POLICY, 1, '2'), 2000);
    assert.equal(retryDelay(DEFAULT_RETRY_POLICY, 1, '3600'), null);
  });
});
