/**
 * git started through the spawner process (git-spawner.ts), as a server starts it: the
 * spawner, not this process, is git's parent; input and output pass through whole and in
 * order at any size; exit codes, stderr, spawn failures and signals come back as a
 * ChildProcess reports them; a reader that stops reading makes git stop rather than this
 * process buffer; a spawner that dies fails its git and is replaced; an idle spawner does
 * not keep a process alive, nor outlive one that is killed.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { once } from 'node:events';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { tryGit } from '../../src/index-repo/git.js';
import { gitSpawnerPid, spawnGit, useGitSpawner } from '../../src/index-repo/git-spawner.js';
import { BlobReader } from '../../src/index-repo/tree-reader.js';
import { runGit, tempDir } from '../helpers/git.js';
import { seededRandom } from '../helpers/seeded-random.js';

/** git's id of a blob: the SHA-1 of its header and content */
function blobId(content: Buffer): string {
  return createHash('sha1').update(`blob ${content.length}\0`).update(content).digest('hex');
}

function parentOf(pid: number): Promise<number> {
  return readFile(`/proc/${pid}/stat`, 'utf8').then((stat) => Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
}

/** Whether `pid` is a live process: gone, or a zombie waiting for its parent, is not. */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

function randomBytes(size: number, seed: number): Buffer {
  const random = seededRandom(seed);
  const bytes = Buffer.alloc(size);
  for (let i = 0; i < size; i++) bytes[i] = Math.floor(random() * 256);
  return bytes;
}

describe('the git spawner', { timeout: 60_000 }, () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  const blobs: Buffer[] = [];
  let big: Buffer;
  let huge: Buffer;

  before(async () => {
    ({ dir, cleanup } = await tempDir());
    await runGit(dir, ['init', '--quiet', '--initial-branch=main']);
    // sizes around the 64 KiB frame limit and pipe chunks, and one of many frames
    const sizes = [0, 1, 65_535, 65_536, 65_537, 131_072, 300_001, ...Array.from({ length: 200 }, (_, i) => (i * 7919) % 5000)];
    for (const [i, size] of sizes.entries()) {
      const content = randomBytes(size, i + 1);
      blobs.push(content);
      await writeFile(path.join(dir, `f${i}`), content);
    }
    big = randomBytes(8 * 1024 * 1024, 99);
    await writeFile(path.join(dir, 'big'), big);
    huge = Buffer.concat([big, big, big, big]);
    await writeFile(path.join(dir, 'huge'), huge);
    await runGit(dir, ['add', '-A']);
    await runGit(dir, ['commit', '--quiet', '-m', 'files']);
    useGitSpawner();
  });

  after(async () => {
    await cleanup();
  });

  it('starts git as a child of the spawner, not of this process', async () => {
    const child = spawnGit(dir, ['cat-file', '--batch'], { env: process.env });
    await once(child, 'spawn');
    const spawner = gitSpawnerPid();
    assert.ok(spawner !== null && spawner !== process.pid);
    assert.equal(await parentOf(child.pid!), spawner);
    child.stdin.end();
    await once(child, 'close');
  });

  it('passes input and output through whole: 8 MiB in, every blob out in order through cat-file', async () => {
    const hashed = await tryGit(dir, ['hash-object', '--stdin'], { input: big });
    assert.equal(hashed.exitCode, 0);
    assert.equal(hashed.stdout.trim(), blobId(big));

    const reader = BlobReader.open(dir);
    try {
      const seen: boolean[] = [];
      await reader.readEach(
        blobs.map((b) => blobId(b)),
        (i, blob) => {
          assert.ok(blob?.equals(blobs[i]!), `blob ${i}`);
          seen[i] = true;
        },
      );
      assert.equal(seen.filter(Boolean).length, blobs.length);
      assert.ok((await reader.read('HEAD:big'))?.equals(big));
    } finally {
      reader.close();
    }
  });

  it('starts a git whose command line is longer than one frame', async () => {
    // 20,000 arguments, about 100 KB of request: a push or fetch naming thousands of refs
    const args = ['rev-parse', ...Array.from({ length: 20_000 }, () => 'HEAD')];
    const parsed = await tryGit(dir, args);
    assert.equal(parsed.exitCode, 0, parsed.stderr);
    const head = (await tryGit(dir, ['rev-parse', 'HEAD'])).stdout.trim();
    assert.deepEqual(new Set(parsed.stdout.trim().split('\n')), new Set([head]));
    assert.equal(parsed.stdout.trim().split('\n').length, 20_000);
  });

  it('reports exit codes, stderr and a git that cannot start as a direct spawn does', async () => {
    const failed = await tryGit(dir, ['rev-parse', '--verify', '--quiet', 'refs/heads/no-such-branch']);
    assert.equal(failed.exitCode, 1);
    const wrong = await tryGit(dir, ['no-such-subcommand']);
    assert.equal(wrong.exitCode, 1);
    assert.match(wrong.stderr, /'no-such-subcommand' is not a git command/);
    const nowhere = await tryGit(path.join(dir, 'no-such-folder'), ['status']);
    assert.equal(nowhere.exitCode, 127);
    assert.match(nowhere.stderr, /^cannot run git: /);
  });

  it('signals git by its pid, also when asked before git has started', async () => {
    const early = spawnGit(dir, ['cat-file', '--batch'], { env: process.env });
    early.kill('SIGTERM');
    const [code, signal] = (await once(early, 'exit')) as [number | null, string | null];
    assert.equal(code, null);
    assert.equal(signal, 'SIGTERM');
  });

  it('stops git while its output is not read, instead of buffering it here', async () => {
    const child = spawnGit(dir, ['cat-file', 'blob', 'HEAD:huge'], { env: process.env });
    await once(child, 'spawn');
    // Nothing reads stdout yet: once the buffer here is full the spawner must pause git. What
    // is on its way when the pause arrives can be a few MiB (libuv reads a pipe up to 32 times
    // a turn, 64 KiB each, in the spawner and here; 4 MiB was seen); without the pause it would be all 32 MiB.
    await new Promise((resolve) => setTimeout(resolve, 500));
    const buffered = child.stdout.readableLength;
    assert.ok(buffered <= 8 * 1024 * 1024, `${buffered} bytes buffered for an unread stdout`);
    const chunks: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
    child.stderr.resume();
    const [code] = (await once(child, 'close')) as [number];
    assert.equal(code, 0);
    assert.ok(Buffer.concat(chunks).equals(huge));
  });

  it('fails the git of a spawner that dies, and starts a new spawner for the next', async () => {
    const reader = BlobReader.open(dir);
    assert.ok((await reader.read(blobId(blobs[1]!)))?.equals(blobs[1]!));
    const first = gitSpawnerPid()!;
    const exited = new Promise((resolve) => {
      const watch = setInterval(() => {
        try {
          process.kill(first, 0);
        } catch {
          clearInterval(watch);
          resolve(undefined);
        }
      }, 10);
    });
    process.kill(first, 'SIGKILL');
    await exited;
    await assert.rejects(reader.read(blobId(blobs[2]!)), /git cat-file|blob reader is closed/);
    assert.equal(reader.usable, false);

    const hashed = await tryGit(dir, ['hash-object', '--stdin'], { input: blobs[3]! });
    assert.equal(hashed.stdout.trim(), blobId(blobs[3]!));
    const second = gitSpawnerPid();
    assert.ok(second !== null && second !== first);
  });

  it('does not keep a process alive once its git is idle', async () => {
    // a script that reads through the spawner and leaves its reader open, as a server's state does
    const script = fileURLToPath(new URL('../helpers/spawner-idle-script.ts', import.meta.url));
    const child = spawn(process.execPath, ['--import', 'tsx', script, 'read', dir, blobId(blobs[4]!)], { stdio: ['ignore', 'pipe', 'inherit'] });
    const out: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    const [code, signal] = (await once(child, 'exit')) as [number | null, string | null];
    clearTimeout(timer);
    assert.equal(signal, null, 'the script did not exit by itself');
    assert.equal(code, 0);
    assert.equal(Buffer.concat(out).toString('utf8').trim(), `read ${blobs[4]!.length} bytes through spawner`);
  });

  it('leaves no spawner or git behind when the process using it is killed', async () => {
    const script = fileURLToPath(new URL('../helpers/spawner-idle-script.ts', import.meta.url));
    const child = spawn(process.execPath, ['--import', 'tsx', script, 'hold', dir], { stdio: ['ignore', 'pipe', 'inherit'] });
    let line = '';
    child.stdout.setEncoding('utf8');
    await new Promise<void>((resolve) => {
      child.stdout.on('data', (chunk: string) => {
        line += chunk;
        if (line.includes('\n')) resolve();
      });
    });
    const [spawnerPid, gitPid] = line.trim().split(' ').map(Number) as [number, number];
    assert.ok(alive(spawnerPid) && alive(gitPid));
    child.kill('SIGKILL');
    const started = Date.now();
    while ((alive(spawnerPid) || alive(gitPid)) && Date.now() - started < 10_000) await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(alive(spawnerPid), false, 'the spawner outlived its server');
    assert.equal(alive(gitPid), false, 'git outlived its server');
  });
});
