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
