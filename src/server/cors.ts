/**
 * CORS open for reads, as the official registry's `Cors::permissive()` (the official
 * website reads the API from another origin): any origin echoed, any requested header,
 * preflight answered for every path. Writes are another matter: a preflight for any other
 * method than GET/HEAD is granted only to origins that may write (cross-site.ts), so no
 * other site's script can even send a PUT or DELETE.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { addVary } from './respond.js';

const ALLOWED_METHODS = 'GET, HEAD, POST, PUT, DELETE, OPTIONS, PATCH';
const EXPOSED_HEADERS = 'content-type, content-length, content-encoding, location, retry-after, x-ratelimit-limit, x-ratelimit-remaining, x-ratelimit-after';
const MAX_AGE_SECONDS = '3600';

const READ_METHODS = 'GET, HEAD, OPTIONS';

/**
 * Adds the CORS headers; true when the request was a preflight and has been answered.
 * `mayWrite` says whether pages at an origin may write.
 */
export function applyCors(req: IncomingMessage, res: ServerResponse, mayWrite: (origin: string) => boolean): boolean {
  const origin = req.headers.origin;
  if (req.method === 'OPTIONS') {
    res.statusCode = 200;
    const requestedMethod = String(req.headers['access-control-request-method'] ?? 'GET').toUpperCase();
    const writer = origin !== undefined && mayWrite(origin);
    // a refused preflight carries no allow-origin, and the browser then sends nothing
    if (origin !== undefined && (writer || requestedMethod === 'GET' || requestedMethod === 'HEAD')) res.setHeader('access-control-allow-origin', origin);
    res.setHeader('access-control-allow-methods', writer ? ALLOWED_METHODS : READ_METHODS);
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
