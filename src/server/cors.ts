/**
 * CORS as the official registry's `Cors::permissive()`: any origin (echoed, with
 * credentials), any method, any requested header, preflight answered for every path.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { addVary } from './respond.js';

const ALLOWED_METHODS = 'GET, HEAD, POST, PUT, DELETE, OPTIONS, PATCH';
const EXPOSED_HEADERS = 'content-type, content-length, content-encoding, location, retry-after, x-ratelimit-limit, x-ratelimit-remaining, x-ratelimit-after';
const MAX_AGE_SECONDS = '3600';

/** Adds the CORS headers; true when the request was a preflight and has been answered. */
export function applyCors(req: IncomingMessage, res: ServerResponse): boolean {
  const origin = req.headers.origin;
  if (req.method === 'OPTIONS') {
    res.statusCode = 200;
    if (origin !== undefined) res.setHeader('access-control-allow-origin', origin);
    res.setHeader('access-control-allow-methods', ALLOWED_METHODS);
    const requested = req.headers['access-control-request-headers'];
    if (requested !== undefined) res.setHeader('access-control-allow-headers', requested);
    res.setHeader('access-control-allow-credentials', 'true');
    res.setHeader('access-control-max-age', MAX_AGE_SECONDS);
    res.setHeader('vary', 'origin, access-control-request-method, access-control-request-headers');
    res.setHeader('content-length', 0);
    res.end();
    return true;
  }
  if (origin !== undefined) {
    res.setHeader('access-control-allow-origin', origin);
    res.setHeader('access-control-allow-credentials', 'true');
    res.setHeader('access-control-expose-headers', EXPOSED_HEADERS);
    addVary(res, 'origin');
  }
  return false;
}
