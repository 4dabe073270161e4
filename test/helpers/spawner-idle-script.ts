/**
 * Run by git-spawner.test.ts as a process of its own: reads one blob through the spawner and
 * leaves the reader open. The process must still exit once there is nothing left to do.
 */
import { gitSpawnerPid, useGitSpawner } from '../../src/index-repo/git-spawner.js';
import { BlobReader } from '../../src/index-repo/tree-reader.js';

const [dir, oid] = process.argv.slice(2) as [string, string];
useGitSpawner();
const reader = BlobReader.open(dir);
const blob = await reader.read(oid);
if (blob === null || gitSpawnerPid() === null) process.exit(1);
console.log(`read ${blob.length} bytes through spawner`);
