/**
 * One HTTP exchange with a deadline on the whole of it (connect, headers and body) and a
 * cap on the body read into memory: what every outgoing request of this tool goes through
 * (the registry client, OpenID discovery and key sets), so a peer that hangs or answers
 * without end costs a bounded wait and bounded memory.
 */

export interface BoundedRequest {
  method?: string;
  headers?: Record<string, string>;
  body?: Buffer;
  timeoutMs: number;
  /** a longer body is refused (the transfer is cut), not truncated */
  maxBytes: number;
  /** 'error' refuses redirects (discovery documents must come from where they were asked for); 'manual' returns them */
  redirect?: 'follow' | 'error' | 'manual';
  fetch?: typeof fetch;
}

export interface BoundedAnswer {
  status: number;
  headers: Headers;
  body: Buffer;
}

export type FetchFailureReason = 'timeout' | 'network' | 'too_large';

/** The exchange did not complete; `message` never holds the URL's userinfo or any header. */
export class FetchFailure extends Error {
  override readonly name = 'FetchFailure';
  constructor(
    readonly reason: FetchFailureReason,
    message: string,
  ) {
    super(message);
  }
}

export async function boundedFetch(url: string, req: BoundedRequest): Promise<BoundedAnswer> {
  const signal = AbortSignal.timeout(req.timeoutMs);
  const doFetch = req.fetch ?? fetch;
  let response: Response;
  try {
    response = await doFetch(url, {
      method: req.method ?? 'GET',
      headers: req.headers,
      body: req.body,
      redirect: req.redirect ?? 'follow',
      signal,
    });
  } catch (error) {
    throw failure(error, signal, req.timeoutMs);
  }
  const declared = Number(response.headers.get('content-length') ?? NaN);
  if (declared > req.maxBytes) {
    await response.body?.cancel().catch(() => undefined);
    throw new FetchFailure('too_large', `the answer is ${declared} bytes, more than the ${req.maxBytes} accepted`);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    if (response.body !== null) {
      for await (const chunk of response.body as AsyncIterable<Uint8Array>) {
        size += chunk.byteLength;
        if (size > req.maxBytes) {
          await response.body.cancel().catch(() => undefined);
          throw new FetchFailure('too_large', `the answer is more than the ${req.maxBytes} bytes accepted`);
        }
        chunks.push(Buffer.from(chunk));
      }
    }
  } catch (error) {
    if (error instanceof FetchFailure) throw error;
    throw failure(error, signal, req.timeoutMs);
  }
  return { status: response.status, headers: response.headers, body: Buffer.concat(chunks) };
}

function failure(error: unknown, signal: AbortSignal, timeoutMs: number): FetchFailure {
  if (signal.aborted) return new FetchFailure('timeout', `no complete answer within ${Math.round(timeoutMs / 100) / 10} s`);
  // undici puts the useful part (ECONNREFUSED, "other side closed") in the cause
  const cause = (error as { cause?: { code?: unknown; message?: unknown } }).cause;
  const detail = typeof cause?.code === 'string' ? cause.code : typeof cause?.message === 'string' ? cause.message : (error as Error).message;
  return new FetchFailure('network', `connection failed (${detail})`);
}
