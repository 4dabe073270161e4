import type { Reporter } from '../output.js';
import { resolveServerOptions, type ServeFlags } from '../server/server-options.js';
import { startServer } from '../server/start-server.js';

/** Runs until SIGINT/SIGTERM, then lets requests in flight finish before exiting. */
export async function serveCommand(reporter: Reporter, flags: ServeFlags): Promise<void> {
  const options = resolveServerOptions(flags, process.env);
  const server = await startServer(options);
  if (reporter.json) process.stdout.write(`${JSON.stringify({ listening: server.url, banner: server.banner })}\n`);
  else for (const line of server.banner) process.stderr.write(`${line}\n`);
  await new Promise<void>((resolve) => {
    const stop = (signal: NodeJS.Signals) => {
      process.stderr.write(`${signal}: shutting down\n`);
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  await server.close();
}
