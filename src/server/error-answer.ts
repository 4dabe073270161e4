import type { IncomingMessage, ServerResponse } from 'node:http';
import { errorMessage } from '../errors.js';
import type { ServerContext } from './context.js';
import { errorAnswer, type ErrorAnswer } from './http-error.js';
import { closeAfterAnswerLingering } from './lingering-close.js';

/**
 * What the API and the web pages both do before answering a failed request: log what was
 * unexpected, cut a response whose status already went out (the client must see a
 * truncated body), and close a connection whose body was refused. null: nothing to send.
 */
export function beginErrorAnswer(server: ServerContext, req: IncomingMessage, res: ServerResponse, error: unknown): ErrorAnswer | null {
  const answer = errorAnswer(error);
  if (answer.internal) {
    server.logger.error(`${req.method} ${req.url} failed: ${errorMessage(error)}`, {
      stack: error instanceof Error ? error.stack : undefined,
    });
  }
  if (res.headersSent) {
    res.destroy();
    return null;
  }
  if (answer.closeConnection) {
    closeAfterAnswerLingering(req, res);
  }
  return answer;
}
