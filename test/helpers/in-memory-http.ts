/**
 * Answers one HTTP request with a request listener and no socket (what hono's
 * `app.request()` does): node's own HTTP server and client talk over a pair of in-memory
 * streams, so the listener sees a real `IncomingMessage`/`ServerResponse` (parsed headers,
 * chunked or sized bodies, `close` events) exactly as on a connection, and the answer is
 * parsed the way any client parses it. Tests of routes, auth and error answers run on it.
 */
import { request, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { Duplex } from 'node:stream';
import { createObservedServer } from '../../src/server/observed-response.js';

export type Listener = (req: IncomingMessage, res: ServerResponse) => void;

export interface InMemoryRequest {
  method?: string;
  /** sent as is (no normalisation of `..` or `%2e`) */
  path: string;
  headers?: Record<string, string>;
  body?: Buffer | string;
}

export interface InMemoryAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  /** the bytes as sent (still gzip when content-encoding says so) */
  body: Buffer;
}

/** One end of an in-memory connection: what it writes, the other end reads. */
class MemorySocket extends Duplex {
  peer: MemorySocket | undefined;
  readonly remoteAddress = '127.0.0.1';
  readonly remotePort = 0;
  readonly remoteFamily = 'IPv4';
  readonly localAddress = '127.0.0.1';
  readonly localPort = 0;
  override _read(): void {}
  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (error?: Error | null) => void): void {
    this.peer?.push(chunk);
    done();
  }
  override _final(done: (error?: Error | null) => void): void {
    this.peer?.push(null);
    done();
  }
  override _destroy(error: Error | null, done: (error?: Error | null) => void): void {
    // a connection closed by one side ends for the other too
    if (this.peer !== undefined && !this.peer.destroyed) this.peer.destroy();
    done(error);
  }
  // what node's HTTP server and client call on a net.Socket; nothing to tune in memory
  setTimeout(): this {
    return this;
  }
  setNoDelay(): this {
    return this;
  }
  setKeepAlive(): this {
    return this;
  }
  ref(): this {
    return this;
  }
  unref(): this {
    return this;
  }
}

function socketPair(): [MemorySocket, MemorySocket] {
  const a = new MemorySocket();
  const b = new MemorySocket();
  a.peer = b;
  b.peer = a;
  return [a, b];
}

const servers = new WeakMap<Listener, Server>();

export function requestInMemory(listener: Listener, req: InMemoryRequest): Promise<InMemoryAnswer> {
  let server = servers.get(listener);
  if (server === undefined) {
    // never listens: connections are handed to it one by one
    // the registry's own kind of server, so route tests close their answers as it does
    server = createObservedServer(listener);
    servers.set(listener, server);
  }
  const [clientEnd, serverEnd] = socketPair();
  server.emit('connection', serverEnd);
  const body = req.body;
  return new Promise((resolve, reject) => {
    const outgoing = request(
      {
        method: req.method ?? 'GET',
        path: req.path,
        headers: { host: '127.0.0.1', connection: 'close', ...(body !== undefined ? { 'content-length': String(Buffer.byteLength(body)) } : {}), ...req.headers },
        createConnection: () => clientEnd,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) });
          clientEnd.destroy();
        });
      },
    );
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}
