/**
 * The lingering close's bounds on a real socket: it stops reading once the client has sent
 * `maxBytes` more, and closes at once when the whole body was already in.
 */
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { closeAfterAnswerLingering } from '../../src/server/lingering-close.js';

const LIMITS = { ms: 10_000, maxBytes: 256 * 1024 };
let url: { port: number };
/** when the server's side of the last connection closed (performance.now()), once it has */
let serverClosedAt: Promise<number> = Promise.resolve(0);
const server = createServer((req: IncomingMessage, res: ServerResponse) => {
  serverClosedAt = new Promise((resolve) => req.socket.once('close', () => resolve(performance.now())));
  const answer = () => {
    closeAfterAnswerLingering(req, res, LIMITS);
    res.statusCode = 413;
    res.end('refused');
  };
  // '/ended': the body is read to its end before the refusal
  if (req.url === '/ended') {
    req.resume();
    req.on('end', answer);
  } else answer();
});

before(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = { port: (server.address() as AddressInfo).port };
});
after(() => {
  server.closeAllConnections();
  server.close();
});

/** sends the head, then writes until the server closes (or 10 s); the bytes it could write after the answer */
async function sendUntilClosed(path: string, declared: number): Promise<{ answer: string; closedAfterMs: number; written: number }> {
  const socket = connect({ ...url, host: '127.0.0.1', allowHalfOpen: true });
  let answer = '';
  let closed = false;
  socket.on('data', (c: Buffer) => (answer += c.toString('latin1')));
  socket.on('error', () => undefined);
  socket.on('close', () => (closed = true));
  socket.write(`POST ${path} HTTP/1.1\r\nhost: x\r\ncontent-length: ${declared}\r\n\r\n`);
  while (!answer.includes('refused')) await sleep(2);
  const answered = performance.now();
  let written = 0;
  const chunk = Buffer.alloc(16 * 1024, 0x41);
  while (!closed && performance.now() - answered < 10_000) {
    if (!socket.destroyed && socket.write(chunk)) written += chunk.length;
    await sleep(1);
  }
  socket.destroy();
  return { answer, closedAfterMs: performance.now() - answered, written };
}

describe('closeAfterAnswerLingering', () => {
  it('stops reading once maxBytes more have arrived, long before its time bound', async () => {
    const result = await sendUntilClosed('/open', 1024 * 1024 * 1024);
    assert.match(result.answer, /^HTTP\/1\.1 413 /);
    assert.match(result.answer, /connection: close/i);
    assert.ok(result.closedAfterMs < 5_000, `closed ${Math.round(result.closedAfterMs)} ms after answering, not at the byte bound`);
    // the kernel's buffers take some beyond the bound; far less than a 1 GiB body
    assert.ok(result.written >= LIMITS.maxBytes && result.written < 64 * LIMITS.maxBytes, `${result.written} bytes written before the close`);
  });

  it('closes at once when the whole body was already in', async () => {
    const body = Buffer.alloc(1000, 0x42);
    const socket = connect({ ...url, host: '127.0.0.1', allowHalfOpen: true });
    let answer = '';
    socket.on('data', (c: Buffer) => (answer += c.toString('latin1')));
    socket.on('error', () => undefined);
    socket.write(`POST /ended HTTP/1.1\r\nhost: x\r\ncontent-length: ${body.length}\r\n\r\n`);
    socket.write(body);
    try {
      while (!answer.includes('refused')) await sleep(2);
      const answered = performance.now();
      // the client sends nothing more (bytes past the body would read as a broken next request,
      // which Node's parser closes on by itself) and keeps its side open: only the lingering
      // close's own check can close the server's side before its 10 s bound
      const closedAfterMs = (await Promise.race([serverClosedAt, sleep(LIMITS.ms + 500).then(() => Number.POSITIVE_INFINITY)])) - answered;
      assert.match(answer, /^HTTP\/1\.1 413 /);
      assert.ok(closedAfterMs < 5_000, `the server closed ${Math.round(closedAfterMs)} ms after answering, not at once`);
    } finally {
      socket.destroy();
    }
  });
});
