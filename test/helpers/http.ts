/**
 * HTTP for server tests: node:http with the path sent exactly as given (fetch would
 * normalise `%2e%2e` and `..` away before the server sees them), the body collected and
 * gzip undone, so assertions look at what a client would decode; and a registry server
 * started for one test file.
 */
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { createServer } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import nodePath from 'node:path';
import { silentLogger, type Logger } from '../../src/server/logger.js';
import { resolveServerOptions, type ServeFlags, type ServerOptions } from '../../src/server/server-options.js';
import { startServer, type RunningServer } from '../../src/server/start-server.js';
// the server's git must ignore the user's git config as the tests' own git does
import './git.js';

export interface HttpAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  /** the bytes on the wire (still gzip when content-encoding says so) */
  raw: Buffer;
  /** the body with any gzip content-encoding undone */
  body: Buffer;
  text: string;
  json<T = unknown>(): T;
}

export interface HttpOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: Buffer | string;
  /** give up after this long (the answer is an error) */
  timeoutMs?: number;
}

export function http(baseUrl: string, path: string, opts: HttpOptions = {}): Promise<HttpAnswer> {
  const base = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: base.hostname,
        port: base.port,
        method: opts.method ?? 'GET',
        path,
        headers: { ...(opts.body !== undefined ? { 'content-length': String(Buffer.byteLength(opts.body)) } : {}), ...opts.headers },
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => resolve(decodedAnswer(res.statusCode ?? 0, res.headers, Buffer.concat(chunks))));
      },
    );
    req.on('error', reject);
    if (opts.timeoutMs !== undefined) req.setTimeout(opts.timeoutMs, () => req.destroy(new Error(`no answer within ${opts.timeoutMs} ms`)));
    req.end(opts.body);
  });
}

/** An answer as a client decodes it: gzip content-encoding undone. */
export function decodedAnswer(status: number, headers: IncomingHttpHeaders, raw: Buffer): HttpAnswer {
  const body = headers['content-encoding'] === 'gzip' && raw.length > 0 ? gunzipSync(raw) : raw;
  const text = body.toString('utf8');
  return { status, headers, raw, body, text, json: <T>() => JSON.parse(text) as T };
}

/** A TCP port on 127.0.0.1 that nothing listens on (it was free a moment ago). */
export async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as { port: number };
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

/** A client bound to one server. */
export function httpClient(baseUrl: string) {
  return (path: string, opts: HttpOptions = {}) => http(baseUrl, path, opts);
}

/** `scope/name` as one path segment, the way the pesde client encodes it. */
export const enc = encodeURIComponent;

// ---------------------------------------------------------------------------------------
// A registry server for a test file, on 127.0.0.1 and a free port.


export interface TestServer extends RunningServer {
  get(path: string, opts?: HttpOptions): Promise<HttpAnswer>;
  /** removes what startTestServer created (not the index) */
  dispose(): Promise<void>;
}

export interface TestServerOptions {
  flags?: ServeFlags;
  env?: Record<string, string | undefined>;
  /** changes to the resolved options */
  tweak?: (options: ServerOptions) => void;
  logger?: Logger;
}

/** Starts a server with periodic refresh off, silent logs, and fs storage in a temp folder unless told otherwise. */
export async function startTestServer(opts: TestServerOptions = {}): Promise<TestServer> {
  const scratch = await mkdtemp(nodePath.join(tmpdir(), 'pesde-server-test-'));
  const env = opts.env ?? {};
  const storageGiven = opts.flags?.storageRoot !== undefined || opts.flags?.s3Endpoint !== undefined || env.FS_STORAGE_ROOT !== undefined || env.S3_ENDPOINT !== undefined;
  const flags: ServeFlags = {
    address: '127.0.0.1',
    port: 0,
    dataDir: nodePath.join(scratch, 'data'),
    refreshInterval: 0,
    ...(storageGiven || opts.flags?.index === undefined ? {} : { storageRoot: nodePath.join(scratch, 'storage') }),
    ...opts.flags,
  };
  let server: RunningServer;
  try {
    const options = resolveServerOptions(flags, env, scratch);
    options.logger = opts.logger ?? silentLogger;
    opts.tweak?.(options);
    server = await startServer(options);
  } catch (error) {
    await rm(scratch, { recursive: true, force: true });
    throw error;
  }
  const get = (path: string, o: HttpOptions = {}) => http(server.url, path, o);
  // the server as prototype keeps its live `state` getter
  return Object.assign(Object.create(server) as RunningServer, {
    get,
    async dispose() {
      await server.close();
      await rm(scratch, { recursive: true, force: true });
    },
  }) as TestServer;
}
