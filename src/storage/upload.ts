/**
 * The uploads of one publish, between its claim and its index push. They must all have
 * ended, each landed or failed, before the publish gives its claim back or reports: an
 * upload still under way after the claim is released (a sibling of one that failed) could
 * land over the archive of the next publish of that version. And they must end well inside
 * the claim's lease, after which another publish may take the claim over and upload its own
 * bytes; so they share one deadline, and the first failure cancels the rest.
 */
import { durationText } from '../duration-text.js';
import { RegistryError } from '../errors.js';
import type { Storage } from './storage.js';

export interface UploadObject {
  key: string;
  body: Buffer;
}

/** Stores every object, or fails once none of them is being written any more. */
export async function uploadAll(storage: Storage, objects: readonly UploadObject[], deadlineMs: number): Promise<void> {
  const cancel = new AbortController();
  const deadline = new RegistryError('storage', `the upload to ${storage.describe()} did not finish within ${durationText(deadlineMs)}; nothing was published`);
  const timer = setTimeout(() => cancel.abort(deadline), deadlineMs);
  try {
    const settled = await Promise.allSettled(
      objects.map(({ key, body }) =>
        storage.put(key, body, { signal: cancel.signal }).catch((error: unknown) => {
          cancel.abort(error);
          throw error;
        }),
      ),
    );
    if (settled.some((result) => result.status === 'rejected')) throw cancel.signal.reason;
  } finally {
    clearTimeout(timer);
  }
}
