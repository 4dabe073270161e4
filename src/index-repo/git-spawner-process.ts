/**
 * The git spawner: a small process the server starts once, which starts git for it and
 * passes git's input and output through (frames on this process's stdin and stdout, see
 * spawn-frames.ts). Why: starting a process fork()s the one that starts it, and a fork
 * copies the page tables of the whole process. A server holding a 50,000-package index and
 * large uploads held its event loop 27-45 ms per git process that way; this process is
 * small, so its forks are cheap, and they happen off the server's event loop.
 *
 * It imports nothing of the registry's, so it starts in node's own start-up time.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { FRAME, FrameReader, frames, type FrameType, type SpawnRequest } from './spawn-frames.js';

interface Running {
  child: ChildProcessWithoutNullStreams;
  detached: boolean;
  /** the server asked for no more of its stdout for now */
  paused: boolean;
}

const running = new Map<number, Running>();
/** the pipe to the server is full: every git's output waits until it drains */
let blocked = false;

function send(type: FrameType, id: number, payload?: Buffer | string): void {
  let room = true;
  for (const frame of frames(type, id, payload)) room = process.stdout.write(frame);
  if (!room && !blocked) {
    blocked = true;
    for (const run of running.values()) {
      run.child.stdout.pause();
      run.child.stderr.pause();
    }
  }
}

process.stdout.on('drain', () => {
  blocked = false;
  for (const run of running.values()) {
    if (!run.paused) run.child.stdout.resume();
    run.child.stderr.resume();
  }
});

function start(id: number, request: SpawnRequest): void {
  const child = spawn('git', request.args, { cwd: request.cwd, env: request.env, detached: request.detached, stdio: ['pipe', 'pipe', 'pipe'] });
  const run: Running = { child, detached: request.detached, paused: false };
  running.set(id, run);
  child.on('spawn', () => {
    const pid = Buffer.allocUnsafe(4);
    pid.writeUInt32LE(child.pid ?? 0, 0);
    send(FRAME.spawned, id, pid);
  });
  child.on('error', (error) => {
    running.delete(id);
    send(FRAME.error, id, error.message);
  });
  child.stdout.on('data', (chunk: Buffer) => send(FRAME.stdout, id, chunk));
  child.stdout.on('end', () => send(FRAME.stdoutEnd, id));
  child.stderr.on('data', (chunk: Buffer) => send(FRAME.stderr, id, chunk));
  child.stderr.on('end', () => send(FRAME.stderrEnd, id));
  // git may exit before reading all of its input; its exit code says why
  child.stdin.on('error', () => undefined);
  child.on('exit', (code, signal) => send(FRAME.exit, id, JSON.stringify({ code, signal })));
  child.on('close', () => running.delete(id));
  if (blocked) {
    child.stdout.pause();
    child.stderr.pause();
  }
}

/** the parts of spawn requests longer than one frame, by git id, until their last frame */
const requestParts = new Map<number, Buffer[]>();

const reader = new FrameReader((type, id, payload) => {
  if (type === FRAME.spawnPart) {
    const parts = requestParts.get(id) ?? [];
    parts.push(payload);
    requestParts.set(id, parts);
    return;
  }
  if (type === FRAME.spawn) {
    const parts = requestParts.get(id);
    requestParts.delete(id);
    const request = parts === undefined ? payload : Buffer.concat([...parts, payload]);
    return start(id, JSON.parse(request.toString('utf8')) as SpawnRequest);
  }
  const run = running.get(id);
  if (run === undefined) return;
  if (type === FRAME.stdin) run.child.stdin.write(payload);
  else if (type === FRAME.stdinEnd) run.child.stdin.end();
  else if (type === FRAME.pause) {
    run.paused = true;
    run.child.stdout.pause();
  } else if (type === FRAME.resume) {
    run.paused = false;
    if (!blocked) run.child.stdout.resume();
  }
});

process.stdin.on('data', (chunk: Buffer) => reader.push(chunk));
// The server is gone (it exited, or stopped its spawner): nobody reads what git would say.
// A git in its own process group is a network command whose helpers (ssh, git-remote-http)
// would outlive it, so the group goes; other git gets SIGTERM, on which it removes its locks.
process.stdin.on('end', () => {
  for (const run of running.values()) {
    const pid = run.child.pid;
    if (pid === undefined) continue;
    try {
      if (run.detached) process.kill(-pid, 'SIGKILL');
      else run.child.kill('SIGTERM');
    } catch {
      // already gone
    }
  }
  process.exit(0);
});
// a write to a server that has gone away: the 'end' above is on its way
process.stdout.on('error', () => undefined);
