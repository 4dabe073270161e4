/**
 * Closing a connection whose request body we refused to read (413, 408, a cut-off body).
 *
 * Closing at once is what Node's server does after a `connection: close` answer, and it
 * loses that answer: the kernel meets the body bytes still arriving with a reset, and a
 * client that is still writing (fetch uploading a 6 MB archive) sees EPIPE instead of
 * the 413 it was sent. So, like nginx's lingering close, we send FIN after the answer,
 * read and drop what still arrives, and close once the body has ended, or at the latest
 * after a bounded time and number of bytes, so a client cannot hold the socket open.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

export interface LingerLimits {
  /** longest we go on reading after the answer */
  ms: number;
  /** most bytes we read and drop after the answer */
  maxBytes: number;
}

export const DEFAULT_LINGER: LingerLimits = { ms: 2_000, maxBytes: 16 * 1024 * 1024 };

/** how often the bytes read are compared with maxBytes (so the bound is that plus what arrives in this long) */
const BYTES_CHECK_MS = 10;

export function closeAfterAnswerLingering(req: IncomingMessage, res: ServerResponse, limits: LingerLimits = DEFAULT_LINGER): void {
  res.setHeader('connection', 'close');
  const socket = req.socket;
  // Node's server ends a `connection: close` answer with socket.destroySoon(), which
  // destroys the socket as soon as the answer is written: this socket lingers instead.
  socket.destroySoon = () => {
    socket.end();
    const close = () => socket.destroy();
    if (req.readableEnded) return close();
    // counted on the socket: a body nobody read is dumped by Node, which drops its chunks
    // without a 'data' event, and that is the usual case here (refused by its Content-Length)
    const readBefore = socket.bytesRead;
    const timer = setTimeout(close, limits.ms).unref();
    const watch = setInterval(() => socket.bytesRead - readBefore > limits.maxBytes && close(), BYTES_CHECK_MS).unref();
    socket.once('close', () => {
      clearTimeout(timer);
      clearInterval(watch);
    });
    // the whole body is in: nothing more is in flight, so closing cannot cause a reset
    req.once('end', close);
    req.resume();
  };
}
