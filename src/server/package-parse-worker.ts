/**
 * The worker thread of package-parser.ts: parses the index files it is sent, one at a time,
 * and renders the versions list of those it is asked to (with its gzip form).
 */
import { parentPort } from 'node:worker_threads';
import { errorMessage } from '../errors.js';
import { parseIndexFile } from '../index-repo/package-file.js';
import type { ParseAnswer, ParseJob } from './package-parser.js';
import { PackageRecord } from './package-record.js';

parentPort?.on('message', ({ id, text, where, render }: ParseJob) => {
  let answer: ParseAnswer;
  try {
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
