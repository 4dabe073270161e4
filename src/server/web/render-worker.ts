/**
 * The render worker's entry (started by render-pool.ts): loads the renderer, says it is
 * ready, then renders one job at a time. A job that throws (a stack overflow on deep
 * nesting, say) answers with its error; one that runs too long is terminated from outside.
 */
import { parentPort } from 'node:worker_threads';
import { loadMarkdownRenderer, renderMarkdownNow, type RenderInput } from './markdown-render.js';

const port = parentPort;
if (port === null) throw new Error('render-worker.ts runs as a worker thread only');

await loadMarkdownRenderer();
port.on('message', (job: { id: number; input: RenderInput }) => {
  renderMarkdownNow(job.input).then(
    (value) => port.postMessage({ id: job.id, ok: true, value }),
    (error: unknown) => port.postMessage({ id: job.id, ok: false, error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) }),
  );
});
port.postMessage({ ready: true });
