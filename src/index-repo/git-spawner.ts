/**
 * Where every git process of the registry is started. A CLI command spawns git itself. A
 * server, once it calls `useGitSpawner()`, has git started by its spawner process
 * (git-spawner-process.ts): a fork of a large process is slow and holds the event loop
 * while it runs, a fork of the small spawner is neither.
 */
import { spawn, type ChildProcess, type ChildProcessWithoutNullStreams } from 'node:child_process';
import type { EventEmitter } from 'node:events';
import type { Readable, Writable } from 'node:stream';
import { processEntryArgs } from '../worker-entry.js';
import { FrameReader, frames, spawnFrames, type FrameType, type SpawnRequest } from './spawn-frames.js';
import { RelayedGit, type FrameSink } from './relayed-git.js';

/** What callers use of a git process, whether spawned here or by the spawner. */
export interface GitChild extends EventEmitter {
  /** known once 'spawn' is emitted */
  readonly pid?: number | undefined;
  readonly stdin: Writable;
  readonly stdout: Readable;
  readonly stderr: Readable;
  kill(signal?: NodeJS.Signals): boolean;
  ref(): void;
  unref(): void;
}

export interface GitSpawnOptions {
  env: NodeJS.ProcessEnv;
  /** its own process group (see git.ts) */
  detached?: boolean;
  /**
   * Spawned by this process even when a spawner runs: for the full load at start, which
   * streams the whole index while the process is still small. Relayed, its 50,000 blobs cost
   * the event loop 0.4 s more of CPU.
   */
  direct?: boolean;
}

/** Starts `git args` in `dir` with three pipes. */
export function spawnGit(dir: string, args: string[], opts: GitSpawnOptions): GitChild {
  const spawner = opts.direct === true ? null : currentSpawner();
  if (spawner !== null) return spawner.spawn({ args, cwd: dir, env: opts.env, detached: opts.detached ?? false });
  return spawn('git', args, { cwd: dir, env: opts.env, detached: opts.detached ?? false, stdio: ['pipe', 'pipe', 'pipe'] });
}

/** Whether the process and its pipes keep the event loop alive (a ChildProcess's pipes are refcounted apart from it). */
export function setGitReferenced(child: GitChild, referenced: boolean): void {
  const parts: Array<{ ref(): void; unref(): void }> = child instanceof RelayedGit ? [child] : [child, ...pipesOf(child as unknown as ChildProcessWithoutNullStreams)];
  for (const part of parts) {
    if (referenced) part.ref();
    else part.unref();
  }
}

function pipesOf(child: ChildProcessWithoutNullStreams): Array<{ ref(): void; unref(): void }> {
  return [child.stdin, child.stdout, child.stderr] as unknown as Array<{ ref(): void; unref(): void }>;
}

let wanted = false;
let spawner: GitSpawner | null = null;
/** spawners that died before they answered anything: after two, git is spawned directly */
let stillborn = 0;

/**
 * From now on git is started by a spawner process, started now (while this process is still
 * small, which is when its own fork is cheap). A spawner that dies is replaced on the next
 * spawn; one that cannot start at all twice in a row is given up on, and git is spawned
 * directly again.
 */
export function useGitSpawner(): void {
  wanted = true;
  currentSpawner();
}

/** The pid of the running spawner, for tests and diagnostics; null when there is none (a dead one is replaced on the next spawn). */
export function gitSpawnerPid(): number | null {
  return spawner === null || spawner.dead ? null : spawner.pid;
}

function currentSpawner(): GitSpawner | null {
  if (!wanted || stillborn >= 2) return null;
  if (spawner === null || spawner.dead) spawner = new GitSpawner();
  return spawner;
}

class GitSpawner implements FrameSink {
  dead = false;
  private readonly proc: ChildProcess;
  private readonly children = new Map<number, RelayedGit>();
  private nextId = 1;
  private heard = false;

  constructor() {
    this.proc = spawn(process.execPath, processEntryArgs('index-repo/git-spawner-process'), { stdio: ['pipe', 'pipe', 'inherit'] });
    const reader = new FrameReader((type, id, payload) => {
      this.heard = true;
      const child = this.children.get(id);
      if (child === undefined) return;
      child.receive(type, payload);
      if (child.finished) this.children.delete(id);
    });
    this.proc.stdout!.on('data', (chunk: Buffer) => {
      try {
        reader.push(chunk);
      } catch {
        // a frame that does not parse: nothing after it can be trusted to line up, so the
        // spawner goes, its git fails, and the next spawn starts a new one
        this.proc.kill('SIGKILL');
        this.die();
      }
    });
    this.proc.stdin!.on('error', () => undefined);
    this.proc.on('error', () => this.die());
    this.proc.on('exit', () => this.die());
    this.referenceChanged();
  }

  get pid(): number | null {
    return this.proc.pid ?? null;
  }

  spawn(request: SpawnRequest): RelayedGit {
    const id = this.nextId;
    // ids are uint32 on the wire; four billion git processes from one server is not a concern, wrapping is still right
    this.nextId = this.nextId === 0xffffffff ? 1 : this.nextId + 1;
    const child = new RelayedGit(id, this);
    this.children.set(id, child);
    this.referenceChanged();
    this.write(spawnFrames(id, request));
    return child;
  }

  send(type: FrameType, id: number, payload: Buffer | string | undefined, done?: (error?: Error | null) => void): void {
    this.write(frames(type, id, payload), done);
  }

  private write(all: Buffer[], done?: (error?: Error | null) => void): void {
    if (this.dead) {
      done?.();
      return;
    }
    for (let i = 0; i < all.length; i++) {
      // a failed write means the spawner is dying; its exit fails the process, not this write
      this.proc.stdin!.write(all[i], i === all.length - 1 && done !== undefined ? () => done() : undefined);
    }
  }

  /** the spawner keeps the event loop alive while any of its git is referenced, as a ChildProcess would */
  referenceChanged(): void {
    let referenced = 0;
    for (const child of this.children.values()) if (child.referenced) referenced++;
    const parts = [this.proc, this.proc.stdin, this.proc.stdout] as unknown as Array<{ ref(): void; unref(): void }>;
    for (const part of parts) {
      if (referenced > 0) part.ref();
      else part.unref();
    }
  }

  private die(): void {
    if (this.dead) return;
    this.dead = true;
    if (!this.heard) stillborn++;
    else stillborn = 0;
    if (stillborn === 2) process.emitWarning('the git spawner process could not start twice in a row; git is started directly from now on');
    const error = new Error('the git spawner process exited');
    for (const child of this.children.values()) child.fail(error);
    this.children.clear();
    this.referenceChanged();
  }
}
