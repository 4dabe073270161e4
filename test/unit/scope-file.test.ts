import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseScopeInfo, parseScopeInfoInFull, readPlainScopeInfo, serializeScopeInfo } from '../../src/index-repo/scope-file.js';
import type { ScopeInfo } from '../../src/index-repo/types.js';
import { cloneFixtureIndex, git, readObjects } from '../helpers/fixture-index.js';
import { seededRandom } from '../helpers/seeded-random.js';

/** What a parse gives: the info, or the one-line error it throws. */
function outcome(parse: (text: string, where?: string) => ScopeInfo, text: string): ScopeInfo | string {
  try {
    return parse(text, 'acme/scope.toml');
  } catch (error) {
    return (error as Error).message;
  }
}

function takesFastPath(text: string): boolean {
  return readPlainScopeInfo(text) !== undefined;
}

function assertSameAsFullParse(text: string): void {
  assert.deepEqual(outcome(parseScopeInfo, text), outcome(parseScopeInfoInFull, text), JSON.stringify(text));
}

describe('parseScopeInfo reads the plain form without a TOML parse', () => {
  it('gives what the full parse gives for every scope file in the real index history', async () => {
    const repo = await cloneFixtureIndex();
    // every version of every scope file, not only the tip's
    const objects = (await git(repo, ['rev-list', '--objects', '--all'])).split('\n');
    const blobs = objects.filter((line) => line.endsWith('/scope.toml')).map((line) => line.split(' ')[0]!);
    assert.ok(blobs.length > 100, `only ${blobs.length} scope files`);
    let canonical = 0;
    for (const blob of await readObjects(repo, blobs)) {
      const text = blob!.toString('utf8');
      assertSameAsFullParse(text);
      // the point of the fast path: every file as the registry writes it takes it
      if (text === serializeScopeInfo(parseScopeInfoInFull(text))) {
        canonical++;
        assert.ok(takesFastPath(text), `${JSON.stringify(text)} is read without a TOML parse`);
      }
    }
    assert.ok(canonical > 100, `only ${canonical} files as the registry writes them`);
  });

  it('gives what the full parse gives around the edges of the plain form', () => {
    const texts = [
      'owners = []',
      'owners = []\n',
      'owners = [0]\n',
      'owners = [1, 2, 2]\n',
      'owners = [999999999999999]\n',
      'owners = [9007199254740991]\n',
      'owners = [9007199254740992]\n',
      'owners = [18446744073709551615]\n',
      'owners = [01]\n',
      'owners = [00]\n',
      'owners = [1,2]\n',
      'owners = [ 1 ]\n',
      'owners = [1, 2,]\n',
      'owners = [1,  2]\n',
      'owners = [1, 2]\r\n',
      'owners = [1]\n\n',
      'owners = [1] # owner\n',
      'owners = [+1]\n',
      'owners = [-1]\n',
      'owners = [1_000]\n',
      'owners = [0x10]\n',
      'owners = [1.0]\n',
      'owners = ["1"]\n',
      'owners = [1]\nextra = true\n',
      'owners = [1]\nowners = [2]\n',
      ' owners = [1]\n',
      'owners=[1]\n',
      'owners = [\n  1,\n  2,\n]\n',
      'owners = [1]\u2028',
      '',
    ];
    for (const text of texts) assertSameAsFullParse(text);
  });

  it('gives what the full parse gives for what serializeScopeInfo writes', () => {
    const random = seededRandom(17);
    for (let i = 0; i < 500; i++) {
      const owners = Array.from({ length: Math.floor(random() * 6) }, () => Math.floor(random() ** 3 * Number.MAX_SAFE_INTEGER));
      const text = serializeScopeInfo({ owners });
      assertSameAsFullParse(text);
      // ids of 16 digits are parsed in full: the fast path reads up to 15
      if (owners.every((id) => id < 1e15)) assert.ok(takesFastPath(text), `${JSON.stringify(text)} is read without a TOML parse`);
      assert.deepEqual(parseScopeInfo(text).owners, [...new Set(owners)].sort((a, b) => a - b));
    }
  });
});
