/**
 * One error type for every expected failure, shared by the CLI (exit codes) and the
 * server (HTTP statuses), so a rule that rejects input rejects it the same way on both.
 */
export type ErrorKind =
  | 'usage'
  | 'invalid_input'
  | 'invalid_package'
  | 'conflict'
  | 'forbidden'
  | 'unauthorized'
  | 'not_found'
  | 'too_large'
  | 'rate_limited'
  | 'storage'
  | 'git'
  /** a git remote did not answer in time or could not be reached (or the server is stopping): worth retrying */
  | 'remote_unavailable'
  | 'verify_failed'
  /** a registry reached over HTTP failed (5xx) or could not be reached, after retries */
  | 'unavailable';

/** Exit codes are part of the public interface (documented in the README). */
export const EXIT_CODES: Record<ErrorKind, number> = {
  usage: 2,
  invalid_input: 3,
  invalid_package: 3,
  too_large: 3,
  conflict: 4,
  forbidden: 5,
  unauthorized: 11,
  not_found: 6,
  rate_limited: 7,
  storage: 8,
  git: 9,
  remote_unavailable: 9,
  verify_failed: 10,
  unavailable: 12,
};

export const INTERNAL_EXIT_CODE = 70;

export const HTTP_STATUSES: Record<ErrorKind, number> = {
  usage: 400,
  invalid_input: 400,
  invalid_package: 400,
  too_large: 413,
  conflict: 409,
  forbidden: 403,
  unauthorized: 401,
  not_found: 404,
  rate_limited: 429,
  storage: 502,
  git: 502,
  remote_unavailable: 503,
  verify_failed: 500,
  unavailable: 502,
};

export class RegistryError extends Error {
  override readonly name = 'RegistryError';
  constructor(
    readonly kind: ErrorKind,
    message: string,
    options?: { cause?: unknown; details?: Record<string, unknown> },
  ) {
    super(message, options);
    this.details = options?.details;
  }

  /** extra fields for machine-readable output (--json) */
  readonly details: Record<string, unknown> | undefined;

  get exitCode(): number {
    return EXIT_CODES[this.kind];
  }

  get httpStatus(): number {
    return HTTP_STATUSES[this.kind];
  }
}

export const invalidPackage = (message: string): RegistryError =>
  new RegistryError('invalid_package', message);
export const invalidInput = (message: string): RegistryError =>
  new RegistryError('invalid_input', message);
export const usageError = (message: string): RegistryError => new RegistryError('usage', message);

export function isRegistryError(error: unknown): error is RegistryError {
  return error instanceof RegistryError;
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
