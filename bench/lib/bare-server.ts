/**
 * The baseline server: plain node:http answering fixed routes, either bytes held in memory
 * or a file streamed from disk per request, with the same status, type and length headers
 * the registry sends. Run as its own process by processes.ts:
 *
 *   node --import tsx bench/lib/bare-server.ts <routes.json> <port>
 */
import { createReadStream, readFileSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { pipeline } from 'node:stream';
import type { BareRoute } from './processes.js';

const [routesFile, port] = process.argv.slice(2);
if (routesFile === undefined || port === undefined) throw new Error('usage: bare-server.ts <routes.json> <port>');
const routes = JSON.parse(readFileSync(routesFile, 'utf8')) as BareRoute[];

interface Answer {
  contentType: string;
  contentEncoding: string | undefined;
  body: Buffer | null;
  file: string;
  size: number;
}

const answers = new Map<string, Answer>();
for (const route of routes) {
  const body = route.mode === 'memory' ? readFileSync(route.file) : null;
  answers.set(route.path, { contentType: route.contentType, contentEncoding: route.contentEncoding, body, file: route.file, size: body?.length ?? statSync(route.file).size });
}

const server = createServer((req, res) => {
  const answer = answers.get(req.url ?? '');
  if (answer === undefined) {
    res.writeHead(404, { 'content-length': 0 }).end();
    return;
  }
  res.writeHead(200, { 'content-type': answer.contentType, 'content-length': answer.size, ...(answer.contentEncoding === undefined ? {} : { 'content-encoding': answer.contentEncoding }) });
  if (answer.body !== null) res.end(answer.body);
  else pipeline(createReadStream(answer.file), res, () => undefined);
});
server.listen(Number(port), '127.0.0.1');
process.on('SIGTERM', () => {
  server.close(() => process.exit(0));
  server.closeAllConnections();
});
