/**
 * Reads a request body into memory with a hard size cap enforced while reading: a body
 * over the cap is answered with 413 as soon as the cap is crossed (or at once when
 * Content-Length already says so), without buffering the rest. A body that stalls is cut
 * off with 408.
 */
import type { IncomingMessage } from 'node:http';
import { HttpError } from './http-error.js';

export interface BodyLimits {
  maxBytes: number;
  /** longest pause between two chunks */
  idleTimeoutMs: number;
}

export function readBody(req: IncomingMessage, limits: BodyLimits): Promise<Buffer> {
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > limits.maxBytes) {
    return Promise.reject(tooLarge(limits.maxBytes));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let timer: NodeJS.Timeout | undefined;
    const armTimer = () => {
      clearTimeout(timer);
      timer = setTimeout(() => finish(new HttpError(408, `the request body stalled for ${limits.idleTimeoutMs} ms`, {}, true)), limits.idleTimeoutMs);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limits.maxBytes) return finish(tooLarge(limits.maxBytes));
      chunks.push(chunk);
      armTimer();
    };
    const onEnd = () => finish(null);
    const onAborted = () => finish(new HttpError(400, 'the request body was cut off', {}, true));
    const finish = (error: HttpError | null) => {
      clearTimeout(timer);
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onAborted);
      req.off('aborted', onAborted);
      if (error === null) resolve(Buffer.concat(chunks, size));
      else {
        // stop reading: what is still in flight is not ours to buffer
        req.pause();
        reject(error);
      }
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onAborted);
    req.on('aborted', onAborted);
    armTimer();
  });
}

function tooLarge(max: number): HttpError {
  return new HttpError(413, `the request body is larger than the limit of ${max} bytes`, {}, true);
}
