/**
 * The server's own responses and header reads on real sockets: the close hook runs once for
 * an answer sent in full and for one whose client went away, before any listener and with
 * the response's own arguments handed on; a response of another server gets a listener.
 */
import assert from 'node:assert/strict';
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { after, describe, it } from 'node:test';
import { createObservedServer, ObservedResponse, whenClosed } from '../../src/server/observed-response.js';

interface Closed {
  url: string | undefined;
  finished: boolean;
  started: bigint;
  /** 'close' listeners that had already run when the hook did */
  listenersBefore: number;
}

const servers: Server[] = [];
after(() => {
  for (const server of servers) {
    server.closeAllConnections();
    server.close();
  }
});

async function serve(make: (listener: (req: IncomingMessage, res: ServerResponse) => void) => Server, answer: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ port: number; closed: Closed[]; waitClosed(n: number): Promise<void> }> {
  const closed: Closed[] = [];
  let wake = () => undefined as void;
  const server = make((req, res) => {
    let listenersRun = 0;
    res.on('close', () => listenersRun++);
    whenClosed(res, 42n, (r, started) => {
      closed.push({ url: r.req.url, finished: r.writableFinished, started, listenersBefore: listenersRun });
      wake();
    });
    answer(req, res);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    port,
    closed,
    waitClosed: async (n) => {
      while (closed.length < n) await new Promise<void>((resolve) => (wake = resolve));
    },
  };
}

function get(port: number, path: string, headers: Record<string, string | string[]> = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    request({ host: '127.0.0.1', port, path, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve(body));
    })
      .on('error', reject)
      .end();
  });
}

describe('ObservedResponse', () => {
  it('is what the observed server answers with, and its hook runs once per answer, before the listeners', async () => {
    let kind = '';
    const s = await serve(createObservedServer, (_req, res) => {
      kind = res instanceof ObservedResponse ? 'observed' : 'plain';
      res.end('ok');
    });
    assert.equal(await get(s.port, '/one'), 'ok');
    assert.equal(await get(s.port, '/two'), 'ok');
    await s.waitClosed(2);
    assert.equal(kind, 'observed');
    assert.deepEqual(s.closed, [
      { url: '/one', finished: true, started: 42n, listenersBefore: 0 },
      { url: '/two', finished: true, started: 42n, listenersBefore: 0 },
    ]);
  });

  it('runs the hook for an answer whose client went away before it was complete', async () => {
    const s = await serve(createObservedServer, (_req, res) => {
      res.writeHead(200, { 'content-length': 10 });
      res.write('part');
      // the rest never comes: the client hangs up first
    });
    const socket = connect(s.port, '127.0.0.1');
    socket.write('GET /cut HTTP/1.1\r\nhost: x\r\n\r\n');
    await new Promise<void>((resolve) => socket.once('data', () => resolve()));
    socket.destroy();
    await s.waitClosed(1);
    assert.deepEqual(s.closed, [{ url: '/cut', finished: false, started: 42n, listenersBefore: 0 }]);
  });

  it('hands every emit on with its arguments', async () => {
    const seen: unknown[][] = [];
    const s = await serve(createObservedServer, (_req, res) => {
      res.on('custom', (...args: unknown[]) => seen.push(args));
      res.emit('custom');
      res.emit('custom', 1);
      res.emit('custom', 1, 'two', { three: 3 });
      res.end('ok');
    });
    await get(s.port, '/');
    assert.deepEqual(seen, [[], [1], [1, 'two', { three: 3 }]]);
  });

  it('gets a close listener on a response of another server', async () => {
    const s = await serve((listener) => createServer(listener), (_req, res) => res.end('ok'));
    assert.equal(await get(s.port, '/plain'), 'ok');
    await s.waitClosed(1);
    // the hook is a listener here, registered after the test's own
    assert.deepEqual(s.closed, [{ url: '/plain', finished: true, started: 42n, listenersBefore: 1 }]);
  });
});
