import { fileURLToPath } from 'node:url';

/**
 * Where a worker thread starts, for a worker module beside the caller. From dist/ it is the
 * built `.js` file. From the sources (the tests run them through tsx) it is TypeScript,
 * which a worker loads only once tsx's loader is registered inside it (the main thread's
 * `--import` does not reach workers), so the entry is a small module that registers it first.
 */
export function workerEntry(callerUrl: string, name: string): URL {
  if (!callerUrl.endsWith('.ts')) return new URL(`./${name}.js`, callerUrl);
  return typeScriptWorkerEntry(new URL(`./${name}.ts`, callerUrl));
}

/** A `data:` module that registers tsx, then imports the TypeScript `module`. */
export function typeScriptWorkerEntry(module: URL): URL {
  const tsx = import.meta.resolve('tsx/esm/api');
  const code = `const { register } = await import(${JSON.stringify(tsx)}); register(); await import(${JSON.stringify(module.href)});`;
  return new URL(`data:text/javascript,${encodeURIComponent(code)}`);
}

/**
 * The node arguments that run a module beside the caller as a process of its own: the built
 * `.js` file, or from the sources the TypeScript through tsx's loader (a child process, unlike
 * a worker, takes it as a flag).
 */
export function processEntryArgs(callerUrl: string, name: string): string[] {
  if (!callerUrl.endsWith('.ts')) return [fileURLToPath(new URL(`./${name}.js`, callerUrl))];
  return ['--import', import.meta.resolve('tsx/esm'), fileURLToPath(new URL(`./${name}.ts`, callerUrl))];
}
