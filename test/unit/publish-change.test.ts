/**
 * A publish checks the index once before it claims the version, and builds its change on the
 * commit those checks read without checking again (`buildPublishChange`'s `checked`): the
 * change must be the one a fresh check would have led to, and the plan must come out of it
 * as it went in. Snapshots here are in-memory files, as the writer hands them to a builder.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildPublishChange, checkPublishable, type PublishedVersion } from '../../src/index-repo/changes.js';
import type { IndexSnapshot } from '../../src/index-repo/index-writer.js';
import { parsePackageName } from '../../src/index-repo/names.js';
import { serializeIndexFile } from '../../src/index-repo/package-file.js';
import { serializeScopeInfo } from '../../src/index-repo/scope-file.js';
import { assertRegistryError } from '../helpers/registry-error.js';

function snapshot(files: Record<string, string>): IndexSnapshot {
  return { commit: 'c0ffee', read: async (p) => files[p] ?? null };
}

const version = (name: string, v: string, description = 'a package'): PublishedVersion => ({
  name: parsePackageName(name),
  id: { version: v, target: 'luau' },
  entry: { target: { environment: 'luau', lib: 'src/init.luau' }, description },
});

const existing = {
  'acme/scope.toml': serializeScopeInfo({ owners: [7] }),
  'acme/pkg': serializeIndexFile({
    entries: [
      { id: { version: '1.0.0', target: 'luau' }, entry: { published_at: '2025-01-01T00:00:00Z', target: { environment: 'luau', lib: 'src/init.luau' }, description: 'a package' } },
      { id: { version: '1.2.0', target: 'luau' }, entry: { published_at: '2025-02-01T00:00:00Z', target: { environment: 'luau', lib: 'src/init.luau' }, description: 'a package' } },
    ],
  }),
};

describe("a publish's change built from its checks", () => {
  for (const [what, files, pkg] of [
    ['a new version between two published ones', existing, version('acme/pkg', '1.1.0')],
    ['a new package in an existing scope', existing, version('acme/other', '0.1.0')],
    ['a new scope', existing, version('fresh/pkg', '1.0.0')],
  ] as const) {
    it(`is the change a fresh check leads to: ${what}`, async () => {
      const at = snapshot(files);
      const plan = await checkPublishable(at, pkg, 7);
      const planBefore = structuredClone(plan);
      const fromPlan = await buildPublishChange(at, pkg, 7, '2026-12-01T00:00:00Z', plan);
      const fresh = await buildPublishChange(at, pkg, 7, '2026-12-01T00:00:00Z');
      assert.deepEqual(fromPlan, fresh);
      assert.deepEqual(plan, planBefore, 'the plan is not changed by building from it');
      assert.deepEqual(await buildPublishChange(at, pkg, 7, '2026-12-01T00:00:00Z', plan), fresh, 'so it can be built from twice');
      // built from the plan, the snapshot is not read again
      const unreadable: IndexSnapshot = { commit: at.commit, read: () => Promise.reject(new Error('read again')) };
      assert.deepEqual(await buildPublishChange(unreadable, pkg, 7, '2026-12-01T00:00:00Z', plan), fresh);
    });
  }

  it('still refuses what the checks refuse when built without them', async () => {
    await assert.rejects(buildPublishChange(snapshot(existing), version('acme/pkg', '1.2.0'), 7, '2026-12-01T00:00:00Z'), (error) => Boolean(assertRegistryError(error, 'conflict')));
    await assert.rejects(buildPublishChange(snapshot(existing), version('acme/pkg', '2.0.0'), 8, '2026-12-01T00:00:00Z'), (error) => Boolean(assertRegistryError(error, 'forbidden')));
  });
});
