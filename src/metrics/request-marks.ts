/**
 * What the request path tells the metrics about a request, kept on the request object
 * itself: the route pattern it matched and the kind of error it was answered with. Setting
 * a property costs the hot path nothing it would notice, and this module loads no
 * metrics library, so a server without metrics pays for nothing else.
 */
import type { IncomingMessage } from 'node:http';
import { isRegistryError, type ErrorKind } from '../errors.js';

const ROUTE = Symbol('pesde.route');
const FAILURE = Symbol('pesde.failure');

interface Marked {
  [ROUTE]?: string;
  [FAILURE]?: ErrorKind;
}

/** The label of requests answered by a web page rather than an API route. */
export const WEB_ROUTE = 'web';
/** The label of requests no route matched (404, 405). */
export const UNMATCHED_ROUTE = 'unmatched';

export function markRoute(req: IncomingMessage, pattern: string): void {
  (req as Marked)[ROUTE] = pattern;
}

export function markFailure(req: IncomingMessage, error: unknown): void {
  if (isRegistryError(error)) (req as Marked)[FAILURE] = error.kind;
}

export function routeOf(req: IncomingMessage): string {
  return (req as Marked)[ROUTE] ?? UNMATCHED_ROUTE;
}

export function failureOf(req: IncomingMessage): ErrorKind | undefined {
  return (req as Marked)[FAILURE];
}
