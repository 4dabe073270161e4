/**
 * Answering GET /metrics: the bearer check (when METRICS_TOKEN is set) and the text format.
 * The token is compared as digests of equal length, so the check takes the same time
 * whatever a guess has in common with it.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { errorMessage } from '../errors.js';
import type { Logger } from '../server/logger.js';
import { sendError } from '../server/respond.js';
import type { RegistryMetrics } from './registry-metrics.js';

export const METRICS_PATH = '/metrics';

export function isMetricsPath(url: string | undefined): boolean {
  if (url === undefined || !url.startsWith(METRICS_PATH)) return false;
  const rest = url.slice(METRICS_PATH.length);
  return rest === '' || rest === '/' || rest.startsWith('?');
}

export function tokenChecker(token: string | null): (header: string | undefined) => boolean {
  if (token === null) return () => true;
  const wanted = digest(token);
  return (header) => {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
    return match !== null && timingSafeEqual(digest(match[1]!), wanted);
  };
}

export function serveMetrics(req: IncomingMessage, res: ServerResponse, metrics: RegistryMetrics, allowed: (header: string | undefined) => boolean, logger: Logger): void {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    sendError(req, res, 405, `${req.method} is not allowed here`, { allow: 'GET, HEAD' });
    return;
  }
  if (!allowed(req.headers.authorization)) {
    const message = req.headers.authorization === undefined ? 'a metrics token is required (Authorization: Bearer <METRICS_TOKEN>)' : 'the metrics token is not valid';
    sendError(req, res, 401, message, { 'www-authenticate': 'Bearer' });
    return;
  }
  metrics.render().then(
    (text) => {
      res.statusCode = 200;
      res.setHeader('content-type', metrics.contentType);
      res.setHeader('cache-control', 'no-store');
      res.setHeader('content-length', Buffer.byteLength(text));
      res.end(req.method === 'HEAD' ? undefined : text);
    },
    (error: unknown) => {
      logger.error(`rendering metrics failed: ${errorMessage(error)}`);
      sendError(req, res, 500, 'the metrics could not be rendered');
    },
  );
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}
