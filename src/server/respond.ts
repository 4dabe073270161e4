/**
 * Writing answers: JSON (gzip-compressed when the client accepts it and it pays off, as
 * the official registry's Compress middleware does), plain text, stored objects streamed
 * with their length and encoding, redirects, and `{"error"}` bodies.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import type { StoredObject } from '../storage/storage.js';
import { CachedBody } from './cached-body.js';

export function acceptsGzip(req: IncomingMessage): boolean {
  const header = req.headers['accept-encoding'];
  if (header === undefined) return false;
  return header.split(',').some((part) => {
    const [coding, ...params] = part.trim().toLowerCase().split(';');
    if (coding !== 'gzip' && coding !== '*') return false;
    return !params.some((p) => /^\s*q=0(\.0*)?\s*$/.test(p));
  });
}

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

export function sendJson(req: IncomingMessage, res: ServerResponse, status: number, body: CachedBody | string): void {
  sendBody(req, res, status, 'application/json', typeof body === 'string' ? new CachedBody(body) : body);
}

export function sendText(req: IncomingMessage, res: ServerResponse, status: number, text: string): void {
  sendBody(req, res, status, 'text/plain; charset=utf-8', new CachedBody(text));
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
