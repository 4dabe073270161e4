/**
 * GitHub's token check (`POST /applications/{client_id}/token`, basic auth with the OAuth
 * app's credentials) as a real HTTP server on 127.0.0.1: 200 with the user for a token it
 * knows, 404 for any other, 401 for wrong app credentials. GitHub is outside the machine,
 * so this is the one part of the auth tests that is not the real thing.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeGitHub {
  url: string;
  close(): Promise<void>;
}

export async function startFakeGitHub(clientId: string, secret: string, users: Record<string, { id: number; login: string }>): Promise<FakeGitHub> {
  const expectedAuth = `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}`;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.method !== 'POST' || req.url !== `/applications/${clientId}/token` || req.headers.authorization !== expectedAuth) {
        res.writeHead(401, { 'content-type': 'application/json' }).end('{"message":"Bad credentials"}');
        return;
      }
      const { access_token: token } = JSON.parse(Buffer.concat(chunks).toString() || '{}') as { access_token?: string };
      const user = token === undefined ? undefined : users[token];
      if (user === undefined) {
        res.writeHead(404, { 'content-type': 'application/json' }).end('{"message":"Not Found"}');
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ id: 1, token, user }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
