import assert from 'node:assert/strict';
import { RegistryError, type ErrorKind } from '../../src/errors.js';

/** Checks the error is the expected kind with a one-line message, and returns the message. */
export function assertRegistryError(error: unknown, kind: ErrorKind, message?: RegExp | string): string {
  assert.ok(error instanceof RegistryError, `expected a RegistryError, got ${String(error)}`);
  assert.equal(error.kind, kind);
  assert.ok(!error.message.includes('\n'), `one line: ${error.message}`);
  if (typeof message === 'string') assert.equal(error.message, message);
  else if (message !== undefined) assert.match(error.message, message);
  return error.message;
}

/** `fn` must throw an invalid_input RegistryError matching `message`. */
export function assertInvalid(fn: () => unknown, message: RegExp | string): void {
  assert.throws(fn, (error: unknown) => {
    assertRegistryError(error, 'invalid_input', message);
    return true;
  });
}
