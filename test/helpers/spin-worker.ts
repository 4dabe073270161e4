/** A render-pool worker for the pool's tests: spins, throws or exits as the job says. */
import { parentPort } from 'node:worker_threads';

const port = parentPort!;
port.on('message', (job: { id: number; input: { spinMs?: number; fail?: boolean; exit?: boolean; echo?: string } }) => {
  const { spinMs = 0, fail, exit, echo } = job.input;
  const until = Date.now() + spinMs;
  while (Date.now() < until) {
    // synchronous work that only terminate() can stop
  }
  if (exit === true) process.exit(3);
  if (fail === true) port.postMessage({ id: job.id, ok: false, error: 'RangeError: Maximum call stack size exceeded' });
  else port.postMessage({ id: job.id, ok: true, value: echo ?? 'done' });
});
port.postMessage({ ready: true });
