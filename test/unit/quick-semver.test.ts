/**
 * The start-up shortcut for plain `MAJOR.MINOR.PATCH` versions (`quick-semver.ts`) against
 * the general parser (`parseSemver`): the same value or the same refusal for every string,
 * on the edges the shortcut decides (leading zeros, 15 and 16 digits, u64 bounds) and on
 * seeded random strings. It stays because it pays: on 250,000 plain versions it takes a
 * quarter to a third of parseSemver's time (in-process, same run), a few hundred ms of a
 * 50,000-package start-up.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseSemver } from '../../src/index-repo/version.js';
import { semverOf } from '../../src/server/quick-semver.js';
import { seededRandom } from '../helpers/seeded-random.js';

function outcome(parse: (v: string) => unknown, version: string): unknown {
  try {
    return parse(version);
  } catch (error) {
    return `refused: ${(error as Error).message}`;
  }
}

const assertAgree = (version: string): void => assert.deepEqual(outcome(semverOf, version), outcome(parseSemver, version), JSON.stringify(version));

describe('quick-semver agrees with parseSemver', () => {
  it('on the edges the shortcut decides', () => {
    const edges = [
      '0.0.0', '1.2.3', '01.2.3', '1.02.3', '1.2.03', '1.2', '1.2.3.4', '1..3', '.1.2', '1.2.',
      '999999999999999.0.0', '9999999999999999.0.0', '18446744073709551615.0.0', '18446744073709551616.0.0',
      '1.2.3-rc.1', '1.2.3+build', '1.2.3-0', ' 1.2.3', '1.2.3 ', '1.2.x', '', 'v1.2.3', '1.2.3\n', '１.2.3',
    ];
    for (const version of edges) assertAgree(version);
  });

  it('on seeded random version-like strings', () => {
    const random = seededRandom(7);
    const alphabet = ['0', '1', '2', '9', '.', '-', '+', 'a', 'rc', '00', '12345678901234567'];
    for (let i = 0; i < 20_000; i++) {
      let version = '';
      const parts = 1 + Math.floor(random() * 8);
      for (let p = 0; p < parts; p++) version += alphabet[Math.floor(random() * alphabet.length)];
      assertAgree(version);
    }
  });
});
