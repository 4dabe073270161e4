/**
 * The messages between the server and its git spawner process (git-spawner.ts): binary
 * frames on the spawner's stdin and stdout, each a 9-byte header (payload size, type, the
 * id of the git process it is about) and a payload. Binary rather than Node's IPC channel:
 * git's output passes through as it is, with no JSON or structured-clone step on the
 * server's event loop.
 */

/** Frame types. Server to spawner: 1-9; spawner to server: 10 and up. */
export const FRAME = {
  /** payload: a JSON `SpawnRequest`, or its end when `spawnPart` frames carried the rest */
  spawn: 1,
  stdin: 2,
  stdinEnd: 3,
  /** the server's reader of this git's stdout is full: stop reading it until `resume` */
  pause: 4,
  resume: 5,
  /** a piece of a spawn request longer than one frame (a command naming thousands of refs) */
  spawnPart: 6,
  /** payload: the pid, a uint32 */
  spawned: 10,
  stdout: 11,
  stdoutEnd: 12,
  stderr: 13,
  stderrEnd: 14,
  /** payload: a JSON `ExitReport` */
  exit: 15,
  /** git could not be started; payload: its error message */
  error: 16,
} as const;

export type FrameType = (typeof FRAME)[keyof typeof FRAME];

export interface SpawnRequest {
  args: string[];
  cwd: string;
  env: Record<string, string | undefined>;
  /** its own process group, which the server signals as a whole */
  detached: boolean;
}

export interface ExitReport {
  code: number | null;
  signal: NodeJS.Signals | null;
}

const HEADER_BYTES = 9;
/** Payloads are split to at most this: it bounds what a reader joins to finish a frame. */
export const MAX_PAYLOAD = 64 * 1024;

/** One frame, of a payload of MAX_PAYLOAD at most. */
function encodeFrame(type: FrameType, id: number, payload?: Buffer): Buffer {
  const body = payload ?? null;
  const size = body === null ? 0 : body.length;
  const frame = Buffer.allocUnsafe(HEADER_BYTES + size);
  frame.writeUInt32LE(size, 0);
  frame.writeUInt8(type, 4);
  frame.writeUInt32LE(id, 5);
  if (body !== null) body.copy(frame, HEADER_BYTES);
  return frame;
}

/** `data` cut to MAX_PAYLOAD at most each; no data is one empty piece. */
function pieces(data: Buffer | undefined): Array<Buffer | undefined> {
  if (data === undefined || data.length <= MAX_PAYLOAD) return [data];
  const all: Buffer[] = [];
  for (let at = 0; at < data.length; at += MAX_PAYLOAD) all.push(data.subarray(at, at + MAX_PAYLOAD));
  return all;
}

/** The frames that carry `payload` (none: one empty frame), a MAX_PAYLOAD at most each. */
export function frames(type: FrameType, id: number, payload?: Buffer | string): Buffer[] {
  return pieces(typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload).map((piece) => encodeFrame(type, id, piece));
}

/**
 * The frames of a spawn request: one `spawn` frame, or, for a request longer than a frame (a
 * command naming thousands of refs), `spawnPart` frames and a last `spawn` frame, on which
 * the spawner starts git.
 */
export function spawnFrames(id: number, request: SpawnRequest): Buffer[] {
  const all = pieces(Buffer.from(JSON.stringify(request), 'utf8'));
  return all.map((piece, i) => encodeFrame(i === all.length - 1 ? FRAME.spawn : FRAME.spawnPart, id, piece));
}

export type FrameHandler = (type: number, id: number, payload: Buffer) => void;

/**
 * Cuts a byte stream into frames. A payload handed to the handler is a view of the bytes
 * received, valid for as long as the receiver keeps it (nothing reuses them).
 */
export class FrameReader {
  private pending: Buffer = Buffer.alloc(0);

  constructor(private readonly handle: FrameHandler) {}

  push(chunk: Buffer): void {
    // what is left over is less than one frame, so joining it costs at most a frame's copy
    const bytes = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    let at = 0;
    while (bytes.length - at >= HEADER_BYTES) {
      const size = bytes.readUInt32LE(at);
      if (size > MAX_PAYLOAD) throw new Error(`a spawner frame of ${size} bytes is over the ${MAX_PAYLOAD}-byte limit`);
      const end = at + HEADER_BYTES + size;
      if (end > bytes.length) break;
      this.handle(bytes.readUInt8(at + 4), bytes.readUInt32LE(at + 5), bytes.subarray(at + HEADER_BYTES, end));
      at = end;
    }
    this.pending = at === bytes.length ? Buffer.alloc(0) : bytes.subarray(at);
  }
}
