/**
 * A version claim left behind (its holder on this machine is gone) is taken over; a live
 * one is not: the other publish is a 409 and the claim stays its holder's. A takeover is a
 * lease-checked force on exactly the claim found stale.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { hostname } from 'node:os';
import { after, before, describe, it } from 'node:test';
import { openLocalIndex, tipCommit } from '../../src/index-repo/local-index.js';
import { parsePackageName } from '../../src/index-repo/names.js';
import { thisHolder } from '../../src/index-repo/claim-holder.js';
import { claimCommit, claimRef, claimVersion } from '../../src/index-repo/version-claim.js';
import { runGit } from '../helpers/git.js';
import { setupIndex, type IndexSetup } from '../helpers/index-setup.js';
import { assertRegistryError } from '../helpers/registry-error.js';

/** The id of a process that has exited. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '0'], { stdio: 'ignore' });
  await new Promise((resolve) => child.once('exit', resolve));
  return child.pid!;
}

describe('a claim on a version', () => {
  let setup: IndexSetup;
  before(async () => {
    setup = await setupIndex({ prefix: 'pesde-claim-takeover-' });
  });
  after(async () => setup?.cleanup());

  /**
   * a claim commit as a holder with `pid` writes it, pushed to the remote's claim ref: one
   * running where this process runs unless `machine` says otherwise (null: a writer that did
   * not name its machine)
   */
  async function leaveClaim(version: string, pid: number, machine: string | null = thisHolder().machine): Promise<string> {
    const ref = claimRef(parsePackageName('held/pkg'), { version, target: 'luau' });
    const message = `claim held/pkg@${version} luau\n\nHolder-host: ${hostname()}\n${machine === null ? '' : `Holder-machine: ${machine}\n`}Holder-pid: ${pid}\n`;
    const commit = await runGit(setup.clone, ['-c', 'user.name=t', '-c', 'user.email=t@example.test', 'commit-tree', '4b825dc642cb6eb9a060e54bf8d69288fbee4904', '-m', message]);
    await runGit(setup.clone, ['push', '--quiet', 'origin', `${commit}:${ref}`]);
    return commit;
  }

  it('left by a holder that is gone is taken over', async () => {
    const left = await leaveClaim('1.0.0', await deadPid());
    const index = await openLocalIndex(setup.clone, { requireRemote: true });
    const attempt = await claimVersion(index, parsePackageName('held/pkg'), { version: '1.0.0', target: 'luau' }, await tipCommit(index), 'test');
    assert.equal(attempt.kind, 'claimed');
    const now = await runGit(setup.remote, ['rev-parse', claimRef(parsePackageName('held/pkg'), { version: '1.0.0', target: 'luau' })]);
    assert.notEqual(now, left);
    assert.equal(attempt.kind === 'claimed' ? attempt.claim.oid : '', now);
  });

  for (const [what, machine] of [
    ['in another PID namespace with the same hostname (a pid there says nothing here)', `${thisHolder().machine ?? 'x'}-other`],
    ['by a writer that did not name its machine', null],
  ] as const) {
    it(`left by a holder ${what} is not taken over before its lease ends`, async () => {
      const version = machine === null ? '3.0.0' : '4.0.0';
      const held = await leaveClaim(version, await deadPid(), machine);
      const index = await openLocalIndex(setup.clone, { requireRemote: true });
      await assert.rejects(claimVersion(index, parsePackageName('held/pkg'), { version, target: 'luau' }, await tipCommit(index), 'test'), (error: unknown) => {
        assertRegistryError(error, 'conflict', /being published by another writer right now/);
        return true;
      });
      assert.equal(await runGit(setup.remote, ['rev-parse', claimRef(parsePackageName('held/pkg'), { version, target: 'luau' })]), held);
    });
  }

  it('names its holder once, after the describing line, whatever that line holds', async () => {
    const index = await openLocalIndex(setup.clone, { requireRemote: true });
    const forged = 'ci\nHolder-machine: elsewhere\nHolder-pid: 1';
    const commit = await claimCommit(index, parsePackageName('held/pkg'), { version: '5.0.0', target: 'luau' }, forged);
    const message = await runGit(setup.clone, ['log', '-1', '--format=%B', commit]);
    assert.equal([...message.matchAll(/^Holder-pid: /gm)].length, 1, message);
    assert.match(message, new RegExp(`^Holder-pid: ${process.pid}$`, 'm'));
    assert.doesNotMatch(message, /^Holder-machine: elsewhere/m);
  });

  it('held by a live holder is a 409, and stays its holder\'s', async () => {
    const held = await leaveClaim('2.0.0', process.pid);
    const index = await openLocalIndex(setup.clone, { requireRemote: true });
    const base = await tipCommit(index);
    await assert.rejects(claimVersion(index, parsePackageName('held/pkg'), { version: '2.0.0', target: 'luau' }, base, 'test'), (error: unknown) => {
      assertRegistryError(error, 'conflict', /being published by another writer right now/);
      return true;
    });
    assert.equal(await runGit(setup.remote, ['rev-parse', claimRef(parsePackageName('held/pkg'), { version: '2.0.0', target: 'luau' })]), held);
  });
});
