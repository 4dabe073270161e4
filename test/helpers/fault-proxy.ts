/**
 * A real HTTP proxy on 127.0.0.1 in front of a real registry, that misbehaves on purpose
 * for the requests it is told to: drops the connection before forwarding, drops it after
 * the registry answered (the write landed, the client never hears), answers a status of
 * its own, or never answers. Every other request is forwarded as is.
 */
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type Fault =
  | 'forward'
  | 'drop-before'
  | 'drop-after'
  | 'hang'
  | { status: number; headers?: Record<string, string>; body?: string };

export interface FaultProxy {
  url: string;
  /** faults for the next requests, in order; when used up, requests are forwarded */
  plan(...faults: Fault[]): void;
  /** requests received so far, as `METHOD path` */
  seen: string[];
  close(): Promise<void>;
}

export async function startFaultProxy(upstream: string): Promise<FaultProxy> {
  const target = new URL(upstream);
  const queue: Fault[] = [];
  const seen: string[] = [];
  const server: Server = createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    const fault = queue.shift() ?? 'forward';
    if (fault === 'hang') return void req.resume();
    if (fault === 'drop-before') return void req.socket.destroy();
    if (typeof fault === 'object') {
      req.resume();
      res.writeHead(fault.status, { 'content-type': 'application/json', ...fault.headers });
      return void res.end(fault.body ?? JSON.stringify({ error: `fault ${fault.status}` }));
    }
    forward(req, res, target, fault === 'drop-after');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    plan: (...faults) => void queue.push(...faults),
    seen,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function forward(req: IncomingMessage, res: ServerResponse, target: URL, dropAnswer: boolean): void {
  const headers = { ...req.headers, host: target.host };
  const out = request({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers }, (answer) => {
    if (dropAnswer) {
      // the upstream finished the write: read its answer to the end, then hang up on the client
      answer.resume();
      answer.on('end', () => req.socket.destroy());
      return;
    }
    res.writeHead(answer.statusCode ?? 502, answer.headers);
    answer.pipe(res);
  });
  out.on('error', () => req.socket.destroy());
  req.pipe(out);
}
