/**
 * The spawner's frames (spawn-frames.ts): whatever chunks the pipe cuts them into, a reader
 * gets every frame back whole and in order; payloads above the limit are split on writing
 * and refused on reading.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FRAME, FrameReader, frames as framesOf, MAX_PAYLOAD, spawnFrames } from '../../src/index-repo/spawn-frames.js';
import { seededRandom } from '../helpers/seeded-random.js';

function collect(): { frames: Array<{ type: number; id: number; payload: Buffer }>; reader: FrameReader } {
  const frames: Array<{ type: number; id: number; payload: Buffer }> = [];
  return { frames, reader: new FrameReader((type, id, payload) => frames.push({ type, id, payload: Buffer.from(payload) })) };
}

describe('spawner frames', () => {
  const random = seededRandom(11);
  const big = Buffer.alloc(3 * MAX_PAYLOAD + 17);
  for (let i = 0; i < big.length; i++) big[i] = Math.floor(random() * 256);
  const sent = [
    ...framesOf(FRAME.spawn, 1, JSON.stringify({ args: ['status'], cwd: '/', env: {}, detached: false })),
    ...framesOf(FRAME.stdout, 0xffffffff, big),
    ...framesOf(FRAME.stdoutEnd, 7),
    ...framesOf(FRAME.error, 2, 'spawn git ENOENT'),
  ];
  const stream = Buffer.concat(sent);

  it('splits a payload above the limit into frames of the limit at most', () => {
    const frames = framesOf(FRAME.stdout, 3, big);
    assert.equal(frames.length, 4);
    assert.ok(frames.every((f) => f.length <= MAX_PAYLOAD + 9));
  });

  it('gives back every frame whole and in order, however the bytes are cut', () => {
    for (const cut of [1, 2, 8, 9, 10, 4096, MAX_PAYLOAD + 9, stream.length]) {
      const { frames, reader } = collect();
      for (let at = 0; at < stream.length; at += cut) reader.push(stream.subarray(at, at + cut));
      assert.equal(frames.length, 7, `cut ${cut}`);
      assert.deepEqual(
        frames.map((f) => [f.type, f.id]),
        [[FRAME.spawn, 1], [FRAME.stdout, 0xffffffff], [FRAME.stdout, 0xffffffff], [FRAME.stdout, 0xffffffff], [FRAME.stdout, 0xffffffff], [FRAME.stdoutEnd, 7], [FRAME.error, 2]],
      );
      assert.ok(Buffer.concat(frames.slice(1, 5).map((f) => f.payload)).equals(big), `cut ${cut}`);
      assert.equal(frames[6]!.payload.toString('utf8'), 'spawn git ENOENT');
      assert.equal(frames[5]!.payload.length, 0);
    }
  });

  it('sends a spawn request in one spawn frame, or a longer one as parts ending with its spawn frame', () => {
    const short = { args: ['status'], cwd: '/', env: {}, detached: false };
    const long = { ...short, args: Array.from({ length: 9000 }, (_, i) => `refs/heads/branch-${i}`) };
    for (const request of [short, long]) {
      const { frames, reader } = collect();
      reader.push(Buffer.concat(spawnFrames(5, request)));
      const expected = Math.ceil(Buffer.byteLength(JSON.stringify(request)) / MAX_PAYLOAD);
      assert.equal(frames.length, expected);
      assert.deepEqual(frames.map((f) => f.type), [...Array<number>(expected - 1).fill(FRAME.spawnPart), FRAME.spawn]);
      assert.ok(frames.every((f) => f.id === 5));
      assert.deepEqual(JSON.parse(Buffer.concat(frames.map((f) => f.payload)).toString('utf8')), request);
    }
  });

  it('refuses a frame that says it is larger than the limit', () => {
    const { reader } = collect();
    const header = Buffer.alloc(9);
    header.writeUInt32LE(MAX_PAYLOAD + 1, 0);
    assert.throws(() => reader.push(header), /over the 65536-byte limit/);
  });
});
