/**
 * Writing answers: JSON (gzip-compressed when the client accepts it and it pays off, as
 * the official registry's Compress middleware does), plain text, stored objects streamed
 * with their length and encoding, redirects, and `{"error"}` bodies.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import type { StoredObject } from '../storage/storage.js';
import { CachedBody } from './cached-body.js';
import { memoize } from './memo.js';

export function acceptsGzip(req: IncomingMessage): boolean {
  const header = req.headers['accept-encoding'];
  return header !== undefined && takesGzip(header);
}

// a client sends the same Accept-Encoding on every request: parsed once, it costs a lookup
const takesGzip = memoize(
  (header) =>
    header.split(',').some((part) => {
      const [coding, ...params] = part.trim().toLowerCase().split(';');
      if (coding !== 'gzip' && coding !== '*') return false;
      return !params.some((p) => /^\s*q=0(\.0*)?\s*$/.test(p));
    }),
  256,
  512,
);

export function sendBody(req: IncomingMessage, res: ServerResponse, status: number, contentType: string, body: CachedBody): void {
  res.statusCode = status;
  res.setHeader('content-type', contentType);
  // compressed only for a client that takes it: a fresh page (a search) costs its compression once
  if (body.compressible) addVary(res, 'accept-encoding');
  const gzipped = body.compressible && acceptsGzip(req) ? body.gzip() : null;
  const payload = gzipped ?? body.bytes;
  if (gzipped !== null) res.setHeader('content-encoding', 'gzip');
  res.setHeader('content-length', payload.length);
  res.end(req.method === 'HEAD' ? undefined : payload);
}

/**
 * sendJson(200) for a response none of whose headers are set yet: the same header lines,
 * in the same order (nosniff first, as app.ts sets it before any other answer), from a list
 * made once per body and handed to writeHead whole.
 */
export function sendPreparedJson(req: IncomingMessage, res: ServerResponse, body: CachedBody): void {
  const gzipped = body.compressible && acceptsGzip(req) ? body.gzip() : null;
  res.writeHead(200, body.headers(gzipped !== null, jsonAnswerHeaders) as string[]);
  res.end(req.method === 'HEAD' ? undefined : (gzipped ?? body.bytes));
}

/** what sendBody sets for a JSON body, after the nosniff of app.ts */
function jsonAnswerHeaders(body: CachedBody, gzipped: boolean): string[] {
  const list = [NOSNIFF[0], NOSNIFF[1], 'content-type', 'application/json'];
  if (body.compressible) list.push('vary', 'accept-encoding');
  if (gzipped) list.push('content-encoding', 'gzip');
  list.push('content-length', String(gzipped ? body.gzip()!.length : body.bytes.length));
  return list;
}

/** Every API answer carries it: no browser reads a README or archive as a page. */
export const NOSNIFF = ['x-content-type-options', 'nosniff'] as const;

export function sendJson(req: IncomingMessage, res: ServerResponse, status: number, body: CachedBody | string): void {
  sendBody(req, res, status, 'application/json', typeof body === 'string' ? CachedBody.fresh(body) : body);
}

export function sendText(req: IncomingMessage, res: ServerResponse, status: number, text: string): void {
  sendBody(req, res, status, 'text/plain; charset=utf-8', CachedBody.fresh(text));
}

export function sendError(req: IncomingMessage, res: ServerResponse, status: number, message: string, headers: Record<string, string> = {}): void {
  for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
  sendJson(req, res, status, JSON.stringify({ error: message }));
}

/** Streams a stored object as stored: its bytes, length, type and (for README/docs) gzip encoding. */
export async function sendObject(req: IncomingMessage, res: ServerResponse, object: StoredObject): Promise<void> {
  res.statusCode = 200;
  res.setHeader('content-type', object.contentType);
  if (object.contentEncoding !== undefined) res.setHeader('content-encoding', object.contentEncoding);
  res.setHeader('content-length', object.size);
  if (req.method === 'HEAD') {
    object.body.destroy();
    res.end();
    return;
  }
  try {
    await pipeline(object.body, res);
  } catch (error) {
    // the client went away mid-download: nothing to answer and nothing wrong on our side
    if ((error as NodeJS.ErrnoException).code === 'ERR_STREAM_PREMATURE_CLOSE') return;
    throw error;
  }
}

export function sendRedirect(req: IncomingMessage, res: ServerResponse, url: string): void {
  res.statusCode = 307;
  res.setHeader('location', url);
  res.setHeader('content-length', 0);
  res.end();
}

export function addVary(res: ServerResponse, value: string): void {
  const current = res.getHeader('vary');
  res.setHeader('vary', current === undefined ? value : `${String(current)}, ${value}`);
}
