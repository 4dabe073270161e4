/**
 * The registry server's responses, each of which tells the request log and the metrics
 * once when it closes (answered in full, or its client gone mid-answer). A `close` listener
 * per response did the same at the cost of a closure and an events-table entry per request
 * (about 0.7 us a request in a profile of cached metadata answers), so the server builds
 * its responses from this class, which runs its hook from `emit` itself.
 */
import { createServer, ServerResponse, type RequestListener, type Server } from 'node:http';

export type ClosedHook = (res: ServerResponse, started: bigint) => void;

const baseEmit = ServerResponse.prototype.emit;

export class ObservedResponse extends ServerResponse {
  /** process.hrtime.bigint() when its request came in */
  started = 0n;
  onClosed: ClosedHook | null = null;

  override emit(event: string | symbol): boolean {
    if (event === 'close' && this.onClosed !== null) {
      const hook = this.onClosed;
      this.onClosed = null;
      hook(this, this.started);
    }
    // 'prefinish', 'finish' and 'close' come without arguments; a rest parameter and a spread
    // call (or apply) cost far more than the call itself on every one of them
    // eslint-disable-next-line prefer-rest-params
    return arguments.length === 1 ? baseEmit.call(this, event) : baseEmit.apply(this, arguments as unknown as Parameters<typeof baseEmit>);
  }
}

/** An HTTP server whose responses are ObservedResponses. */
export function createObservedServer(listener: RequestListener): Server {
  // node's typing wants a class generic in its request type; this one serves IncomingMessage only
  return createServer({ ServerResponse: ObservedResponse as unknown as typeof ServerResponse }, listener);
}

/**
 * Calls `hook` once when `res` closes, before any `close` listener. A response of another
 * server (a test's own, say) gets a listener instead.
 */
export function whenClosed(res: ServerResponse, started: bigint, hook: ClosedHook): void {
  if (res instanceof ObservedResponse) {
    res.started = started;
    res.onClosed = hook;
  } else {
    res.on('close', () => hook(res, started));
  }
}
