import { fileURLToPath } from 'node:url';
import { moduleFile, MODULE_EXTENSION } from './program-files.js';

/**
 * Where a worker thread starts, for a worker module of the tree (`server/web/render-worker`, say).
 * Built, it is the `.js` file tsc wrote. From the sources (the tests run them through tsx) it
 * is TypeScript, which a worker loads only once tsx's loader is registered inside it (the
 * main thread's `--import` does not reach workers), so the entry is a small module that
 * registers it first.
 */
export function workerEntry(name: string): URL {
  const module = moduleFile(name);
  return MODULE_EXTENSION === '.ts' ? typeScriptWorkerEntry(module) : module;
}

/** A `data:` module that registers tsx, then imports the TypeScript `module`. */
export function typeScriptWorkerEntry(module: URL): URL {
  const tsx = import.meta.resolve('tsx/esm/api');
  const code = `const { register } = await import(${JSON.stringify(tsx)}); register(); await import(${JSON.stringify(module.href)});`;
  return new URL(`data:text/javascript,${encodeURIComponent(code)}`);
}

/**
 * The node arguments that run a module of the tree as a process of its own: the built `.js`
 * file, or from the sources the TypeScript through tsx's loader (a child process, unlike a
 * worker, takes it as a flag).
 */
export function processEntryArgs(name: string): string[] {
  const file = fileURLToPath(moduleFile(name));
  return MODULE_EXTENSION === '.ts' ? ['--import', import.meta.resolve('tsx/esm'), file] : [file];
}
