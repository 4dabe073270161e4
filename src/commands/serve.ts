import type { Reporter } from '../output.js';
import { redact } from '../redact.js';
import { resolveServerOptions, type ServeFlags } from '../server/server-options.js';
import { startServer } from '../server/start-server.js';

/** How long stopping may take before the process exits anyway (requests get 10 s of it). */
const STOP_DEADLINE_MS = 15_000;

/**
 * Runs until SIGINT/SIGTERM, then lets requests in flight finish before exiting; git that
 * is running is killed at once. A second signal, or a stop that overruns, exits at once.
 */
export async function serveCommand(reporter: Reporter, flags: ServeFlags): Promise<void> {
  const options = resolveServerOptions(flags, process.env);
  // a signal while starting (a clone may be waiting on its remote) exits at once; git goes with it
  const abandon = (signal: NodeJS.Signals) => {
    process.stderr.write(`${signal}: stopped while starting\n`);
    process.exit(signalExitCode(signal));
  };
  process.once('SIGINT', abandon);
  process.once('SIGTERM', abandon);
  let server: Awaited<ReturnType<typeof startServer>>;
  try {
    server = await startServer(options);
  } finally {
    process.off('SIGINT', abandon);
    process.off('SIGTERM', abandon);
  }
  if (reporter.json) process.stdout.write(redact(`${JSON.stringify({ listening: server.url, banner: server.banner })}\n`));
  else for (const line of server.banner) process.stderr.write(redact(`${line}\n`));
  await new Promise<void>((resolve) => {
    const stop = (signal: NodeJS.Signals) => {
      process.stderr.write(`${signal}: shutting down\n`);
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      const force = (again: NodeJS.Signals) => {
        process.stderr.write(`${again}: exiting now\n`);
        process.exit(signalExitCode(again));
      };
      process.once('SIGINT', force);
      process.once('SIGTERM', force);
      setTimeout(() => {
        process.stderr.write('shutdown took too long: exiting now\n');
        process.exit(1);
      }, STOP_DEADLINE_MS).unref();
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  await server.close();
}

/** What a shell reports for a process ended by that signal. */
function signalExitCode(signal: NodeJS.Signals): number {
  return signal === 'SIGINT' ? 130 : 143;
}
