/** The worker thread of package-parser.ts: parses the index files it is sent, one at a time. */
import { parentPort } from 'node:worker_threads';
import { errorMessage } from '../errors.js';
import { parseIndexFile } from '../index-repo/package-file.js';

parentPort?.on('message', ({ id, text, where }: { id: number; text: string; where: string }) => {
  try {
    parentPort?.postMessage({ id, file: parseIndexFile(text, where) });
  } catch (error) {
    parentPort?.postMessage({ id, error: errorMessage(error) });
  }
});
