/**
 * A git process started by the spawner (git-spawner-process.ts), as the server sees it: the
 * part of a ChildProcess that the registry uses (pid, the three pipes, kill, ref/unref and
 * the spawn, error, exit and close events), made of frames to and from the spawner.
 */
import { EventEmitter } from 'node:events';
import { Readable, Writable } from 'node:stream';
import { FRAME, type ExitReport, type FrameType } from './spawn-frames.js';

/** What the relayed process needs of its spawner connection. */
export interface FrameSink {
  /** sends the frames; `done` once they are written to the pipe (backpressure for stdin) */
  send(type: FrameType, id: number, payload: Buffer | undefined, done?: (error?: Error | null) => void): void;
  /** a referenced process keeps the server's event loop alive, as a ChildProcess does */
  referenceChanged(): void;
}

/** How much of git's stdout waits here for its reader before git is asked to pause. */
const STDOUT_BUFFER = 64 * 1024;

export class RelayedGit extends EventEmitter {
  pid: number | undefined;
  readonly stdin: Writable;
  readonly stdout: Readable;
  readonly stderr: Readable;
  private exited: ExitReport | null = null;
  private pausedOut = false;
  private pendingSignal: NodeJS.Signals | undefined;
  private referencedFlag = true;
  /** the spawner has nothing more to say about it: it exited and both pipes ended, or it failed */
  private ended = false;
  /** pipes that have had their end pushed (from the spawner's end frames, or on a failure) */
  private readonly endedStreams = new Set<Readable>();

  constructor(
    readonly id: number,
    private readonly sink: FrameSink,
  ) {
    super();
    this.stdin = new Writable({
      write: (chunk: Buffer, _encoding, callback) => this.sink.send(FRAME.stdin, id, chunk, callback),
      final: (callback) => this.sink.send(FRAME.stdinEnd, id, undefined, callback),
    });
    this.stdout = new Readable({
      highWaterMark: STDOUT_BUFFER,
      read: () => {
        if (!this.pausedOut) return;
        this.pausedOut = false;
        this.sink.send(FRAME.resume, id, undefined);
      },
    });
    this.stderr = new Readable({ read: () => undefined });
    for (const stream of [this.stdout, this.stderr]) stream.on('close', () => this.closeIfRead());
  }

  /** true while the process counts towards keeping the event loop alive */
  get referenced(): boolean {
    return this.referencedFlag && !this.ended;
  }

  /** whether the spawner has nothing more to say about it */
  get finished(): boolean {
    return this.ended;
  }

  ref(): void {
    this.referencedFlag = true;
    this.sink.referenceChanged();
  }

  unref(): void {
    this.referencedFlag = false;
    this.sink.referenceChanged();
  }

  /** Signals git; before its pid is known, as soon as it is. */
  kill(signal: NodeJS.Signals = 'SIGTERM'): boolean {
    if (this.ended) return false;
    if (this.pid === undefined) {
      this.pendingSignal = signal;
      return true;
    }
    try {
      process.kill(this.pid, signal);
      return true;
    } catch {
      return false;
    }
  }

  /** A frame from the spawner about this process. */
  receive(type: number, payload: Buffer): void {
    switch (type) {
      case FRAME.spawned:
        this.pid = payload.readUInt32LE(0);
        this.emit('spawn');
        if (this.pendingSignal !== undefined) this.kill(this.pendingSignal);
        return;
      case FRAME.stdout:
        // a copy would cost as much as the read it replaces; the view keeps its chunk alive instead
        if (!this.stdout.push(payload) && !this.pausedOut) {
          this.pausedOut = true;
          this.sink.send(FRAME.pause, this.id, undefined);
        }
        return;
      case FRAME.stderr:
        this.stderr.push(payload);
        return;
      case FRAME.stdoutEnd:
        this.endStream(this.stdout);
        return this.settleIfDone();
      case FRAME.stderrEnd:
        this.endStream(this.stderr);
        return this.settleIfDone();
      case FRAME.exit:
        this.exited = JSON.parse(payload.toString('utf8')) as ExitReport;
        this.emit('exit', this.exited.code, this.exited.signal);
        this.closeIfRead();
        return this.settleIfDone();
      case FRAME.error:
        return this.fail(new Error(payload.toString('utf8')));
    }
  }

  /** git could not start, or the spawner died: what a ChildProcess says when its spawn fails. */
  fail(error: Error): void {
    if (this.ended) return;
    this.end();
    this.emit('error', error);
    for (const stream of [this.stdout, this.stderr]) this.endStream(stream);
  }

  private endStream(stream: Readable): void {
    if (this.endedStreams.has(stream)) return;
    this.endedStreams.add(stream);
    stream.push(null);
    // a pipe nobody reads ends, and lets 'close' come, once what it holds is read (here:
    // nothing), as a ChildProcess's do; an unread stream ends only on a read
    stream.read(0);
  }

  private settleIfDone(): void {
    if (this.exited !== null && this.endedStreams.size === 2) this.end();
  }

  private end(): void {
    this.ended = true;
    this.sink.referenceChanged();
  }

  /** 'close' as a ChildProcess has it: after 'exit', once its output has been read to the end (called when either comes). */
  private closeIfRead(): void {
    if (this.exited !== null && this.stdout.closed && this.stderr.closed) this.emit('close', this.exited.code, this.exited.signal);
  }
}
