/**
 * An error that already knows its HTTP answer. Route code throws it (or a RegistryError,
 * whose kind maps to a status); one place turns either into `{"error": "..."}`, and
 * anything else into a logged 500 that reveals nothing.
 */
import { isRegistryError } from '../errors.js';
import { redact } from '../redact.js';

export class HttpError extends Error {
  override readonly name = 'HttpError';
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
    /** the request body was left unread: close the connection after answering */
    readonly closeConnection = false,
  ) {
    super(message);
  }
}

export interface ErrorAnswer {
  status: number;
  message: string;
  headers: Record<string, string>;
  closeConnection: boolean;
  /** true when the cause is ours (a bug or a failing backend), so it must be logged */
  internal: boolean;
}

/** What the client is told; redacted, so a secret in a message never reaches it. */
export function errorAnswer(error: unknown): ErrorAnswer {
  const answer = unredactedAnswer(error);
  return { ...answer, message: redact(answer.message) };
}

/** A git remote that does not answer is worth a retry, and which remote is no secret without its credentials. */
const REMOTE_RETRY_SECONDS = '30';

function unredactedAnswer(error: unknown): ErrorAnswer {
  if (error instanceof HttpError) {
    return { status: error.status, message: error.message, headers: error.headers, closeConnection: error.closeConnection, internal: false };
  }
  if (isRegistryError(error)) {
    const status = error.httpStatus;
    if (error.kind === 'remote_unavailable') {
      const remote = typeof error.details?.remote === 'string' ? ` ${error.details.remote}` : '';
      return { status, message: `cannot reach the index remote${remote}; try again later`, headers: { 'retry-after': REMOTE_RETRY_SECONDS }, closeConnection: false, internal: true };
    }
    // backend failures carry paths and hosts: those go to the log, not to the client
    if (status >= 500) {
      const what = error.kind === 'storage' ? 'the package storage' : error.kind === 'git' ? 'the index repository' : 'the server';
      return { status, message: `${what} failed; try again later`, headers: {}, closeConnection: false, internal: true };
    }
    return { status, message: error.message, headers: {}, closeConnection: false, internal: false };
  }
  return { status: 500, message: 'internal server error', headers: {}, closeConnection: false, internal: true };
}
