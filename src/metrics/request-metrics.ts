/**
 * The narrow face the HTTP layer sees of the metrics (no metrics library behind this
 * import): app.ts reports each request here; write routes report push attempts.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

export interface RequestMetrics {
  /** true when it answered the request itself (GET /metrics on the public port) */
  answers(req: IncomingMessage, res: ServerResponse): boolean;
  /** a request arrived (in flight until ended) */
  begin(req: IncomingMessage): void;
  /** the answer is complete or the client went away; `started` from process.hrtime.bigint() */
  end(req: IncomingMessage, res: ServerResponse, started: bigint): void;
  /** how many pushes a write needed before one landed */
  pushAttempts(attempts: number): void;
}
