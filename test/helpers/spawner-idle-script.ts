/**
 * Run by git-spawner.test.ts as a process of its own. `read`: reads one blob through the
 * spawner and leaves the reader open; the process must still exit once there is nothing left
 * to do. `hold`: starts a git that runs until killed, prints the spawner's and git's pids,
 * and stays, to be killed.
 */
import { gitSpawnerPid, spawnGit, useGitSpawner } from '../../src/index-repo/git-spawner.js';
import { BlobReader } from '../../src/index-repo/tree-reader.js';

const [mode, dir, oid] = process.argv.slice(2) as [string, string, string];
useGitSpawner();
if (mode === 'hold') {
  // in its own process group, as a server's network git is, and busy until killed: an alias
  // that runs a shell, so neither git nor its child ends when its input does
  const git = spawnGit(dir, ['-c', 'alias.hold=!sleep 60', 'hold'], { env: process.env, detached: true });
  git.once('spawn', () => console.log(`${gitSpawnerPid()} ${git.pid}`));
  setInterval(() => undefined, 1000);
} else {
  const reader = BlobReader.open(dir);
  const blob = await reader.read(oid);
  if (blob === null || gitSpawnerPid() === null) process.exit(1);
  console.log(`read ${blob.length} bytes through spawner`);
}
