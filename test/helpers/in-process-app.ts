/**
 * The registry's request handler with no socket: the same context `startServer` composes
 * (`createServerContext`), answered through `requestInMemory`. Route, auth and error-answer
 * tests use it; e2e tests keep the real listening server.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import nodePath from 'node:path';
import { openLocalIndex } from '../../src/index-repo/local-index.js';
import { createApp, type RequestListener } from '../../src/server/app.js';
import type { ServerContext } from '../../src/server/context.js';
import { silentLogger, type Logger } from '../../src/server/logger.js';
import { createServerContext } from '../../src/server/server-context.js';
import { resolveServerOptions, type ServerOptions } from '../../src/server/server-options.js';
import { decodedAnswer, type HttpAnswer, type HttpOptions } from './http.js';
import { requestInMemory } from './in-memory-http.js';
import './git.js';

export interface InProcessApp {
  request(path: string, opts?: HttpOptions): Promise<HttpAnswer>;
  /** the request listener itself, for a test that serves it on a real socket */
  listener: RequestListener;
  context: ServerContext;
  close(): Promise<void>;
}

/** The app over the local clone `index`, with fs storage in a temp folder and the given environment (auth). */
export async function inProcessApp(index: string, opts: { env?: Record<string, string | undefined>; logger?: Logger; tweak?: (o: ServerOptions) => void } = {}): Promise<InProcessApp> {
  const scratch = await mkdtemp(nodePath.join(tmpdir(), 'pesde-app-test-'));
  try {
    const options = resolveServerOptions({ index, storageRoot: nodePath.join(scratch, 'storage'), refreshInterval: 0, dataDir: nodePath.join(scratch, 'data') }, opts.env ?? {}, scratch);
    options.logger = opts.logger ?? silentLogger;
    opts.tweak?.(options);
    const composed = await createServerContext(options, await openLocalIndex(index, { requireRemote: false }), options.logger);
    const listener = createApp(composed.context);
    return {
      listener,
      context: composed.context,
      request: async (path, o = {}) => {
        const answer = await requestInMemory(listener, { path, method: o.method, headers: o.headers, body: o.body });
        return decodedAnswer(answer.status, answer.headers, answer.body);
      },
      async close() {
        await composed.refresher.stop();
        await composed.dispose();
        composed.refresher.state.close();
        await rm(scratch, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await rm(scratch, { recursive: true, force: true });
    throw error;
  }
}
