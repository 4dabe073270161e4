/**
 * The worker thread of package-parser.ts: parses the index files it is sent, one at a time,
 * renders the versions list of those it is asked to (with its gzip form), and scans large
 * ones for a refresh.
 */
import { parentPort } from 'node:worker_threads';
import { errorMessage } from '../errors.js';
import { parseIndexFile } from '../index-repo/package-file.js';
import type { ParseAnswer, ParseJob } from './package-parser.js';
import { PackageRecord } from './package-record.js';
import { scanIndexFile } from './package-scan.js';

parentPort?.on('message', ({ id, text, where, render, scan }: ParseJob) => {
  let answer: ParseAnswer;
  try {
    if (scan !== undefined) {
      parentPort?.postMessage({ id, scanned: scanIndexFile(Buffer.from(scan.buffer, scan.byteOffset, scan.length)) } satisfies ParseAnswer);
      return;
    }
    const file = parseIndexFile(text, where);
    answer = { id, file };
    if (render !== undefined) {
      const body = new PackageRecord(render, file).versionsJson();
      answer.versions = { text: body.text, gzip: body.gzip() };
    }
  } catch (error) {
    answer = { id, error: errorMessage(error) };
  }
  parentPort?.postMessage(answer);
});
