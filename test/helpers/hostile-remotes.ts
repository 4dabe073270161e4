/**
 * Remotes that misbehave, on 127.0.0.1: one that accepts connections and never answers
 * (for http:// and git:// alike), and one that redirects every request to a second server
 * which records any credentials it is sent. Plus a real `serve` process whose every output
 * line is kept, so a test can assert what it said and what it never said.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createTcpServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { BIN, ROOT } from './cli.js';
import { GIT_TEST_ENV } from './git.js';

export interface SilentRemote {
  port: number;
  /** connections that are open right now */
  readonly open: number;
  /** resolves once every connection is closed (by the client giving up), or rejects after `ms` */
  allClosed(ms: number): Promise<void>;
  close(): Promise<void>;
}

/** Accepts every connection and never sends a byte. */
export async function startSilentRemote(): Promise<SilentRemote> {
  const sockets = new Set<Socket>();
  const server = createTcpServer((socket) => {
    sockets.add(socket);
    // read (and drop) what the client sends, so that its going away is seen
    socket.resume();
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
  });
  const port = await listen(server);
  return {
    port,
    get open() {
      return sockets.size;
    },
    async allClosed(ms) {
      const until = Date.now() + ms;
      while (sockets.size > 0) {
        if (Date.now() > until) throw new Error(`${sockets.size} connection(s) still open after ${ms} ms`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

export interface RedirectingRemote {
  /** the URL to give git: it answers 302 to the other port */
  url: string;
  /** Authorization headers the other port received */
  readonly credentialsReceived: string[];
  /** requests the other port received */
  readonly requestsReceived: number;
  close(): Promise<void>;
}

/** A remote whose every answer is a 302 to another port, which asks for credentials (401) and records them. */
export async function startRedirectingRemote(): Promise<RedirectingRemote> {
  const received: string[] = [];
  let requests = 0;
  const thief = createHttpServer((req, res) => {
    requests++;
    if (req.headers.authorization !== undefined) received.push(req.headers.authorization);
    res.writeHead(401, { 'www-authenticate': 'Basic realm="index"' }).end();
  });
  const thiefPort = await listen(thief);
  const redirector = createHttpServer((req, res) => {
    res.writeHead(302, { location: `http://127.0.0.1:${thiefPort}${req.url ?? '/'}` }).end();
  });
  const port = await listen(redirector);
  return {
    url: `http://127.0.0.1:${port}/idx.git`,
    get credentialsReceived() {
      return received;
    },
    get requestsReceived() {
      return requests;
    },
    close: async () => {
      await Promise.all([thief, redirector].map((s) => new Promise<void>((resolve) => {
        s.closeAllConnections();
        s.close(() => resolve());
      })));
    },
  };
}

function listen(server: Server | ReturnType<typeof createTcpServer>): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
}

export interface ServeProcess {
  child: ChildProcess;
  /** http://127.0.0.1:<port>, once the banner came */
  url: Promise<string>;
  /** everything written to stdout and stderr so far */
  output(): string;
  /** resolves with the exit code (or signal name) */
  exited: Promise<number | string>;
}

/** `pesde-registry serve --json --port 0 ...` as a real process. */
export function spawnServe(args: string[], env: Record<string, string | undefined>): ServeProcess {
  const child = spawn(process.execPath, [BIN, 'serve', '--json', '--port', '0', ...args], {
    cwd: ROOT,
    env: { ...process.env, ...GIT_TEST_ENV, CI: 'true', NO_COLOR: '1', FS_STORAGE_ROOT: undefined, S3_ENDPOINT: undefined, ...env } as NodeJS.ProcessEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const exited = new Promise<number | string>((resolve) => child.on('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')));
  const url = new Promise<string>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString('utf8');
      const match = /"listening":"(http:\/\/127\.0\.0\.1:\d+)"/.exec(output);
      if (match) resolve(match[1]!);
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    void exited.then((code) => reject(new Error(`serve exited (${code}) before listening:\n${output}`)));
  });
  url.catch(() => undefined);
  return { child, url, output: () => output, exited };
}
