/**
 * A few worker threads that render Markdown away from the event loop, each job with a
 * deadline: rendering a hostile README can take minutes of CPU (marked backtracks on
 * `_a_a_a…`, deep `>` nesting recurses), and on the main thread that would stall every
 * request of the server, /health and downloads included.
 *
 * Bounds, all fixed here: at most `size` jobs run at once (one per worker); at most
 * `queueLimit` wait, and none waits longer than `maxWaitMs` (the answer is then "busy");
 * a job that runs past `timeoutMs` has its worker terminated (the only way to stop
 * synchronous code) and replaced, so the next job finds a fresh one; each worker's heap
 * is capped by `resourceLimits`, so a job that balloons dies alone. Workers start on the
 * first job, warm up (load their modules) before they take one, and are unref'd while idle:
 * an idle pool never keeps the process alive.
 */
import { Worker, type ResourceLimits } from 'node:worker_threads';

export type PoolOutcome<R> =
  | { kind: 'done'; value: R }
  | { kind: 'timeout' }
  | { kind: 'busy' }
  | { kind: 'failed'; message: string };

export interface PoolOptions {
  /** the worker's entry (see worker-entry.ts); it answers `{ ready: true }` once warm, then `{ id, ok, value | error }` per job */
  workerUrl: URL;
  size: number;
  queueLimit: number;
  /** how long one job may run */
  timeoutMs: number;
  /** how long a job may wait for a worker, warm-up included */
  maxWaitMs: number;
  resourceLimits?: ResourceLimits;
}

interface Job<I, R> {
  id: number;
  input: I;
  settle: (outcome: PoolOutcome<R>) => void;
  waitTimer?: NodeJS.Timeout;
}

interface Slot<I, R> {
  worker: Worker;
  ready: boolean;
  job: Job<I, R> | null;
  runTimer?: NodeJS.Timeout;
}

type WorkerMessage<R> = { ready: true } | { id: number; ok: true; value: R } | { id: number; ok: false; error: string };

/** A worker that cannot even start (a broken install) must not be restarted in a tight loop. */
const MAX_FAILED_STARTS = 3;

export class RenderPool<I, R> {
  private readonly slots: Array<Slot<I, R>> = [];
  private readonly queue: Array<Job<I, R>> = [];
  private nextId = 1;
  private failedStarts = 0;
  /** counters for tests and logs */
  readonly stats = { started: 0, terminated: 0, timeouts: 0, busy: 0 };

  constructor(private readonly opts: PoolOptions) {}

  run(input: I): Promise<PoolOutcome<R>> {
    if (this.failedStarts >= MAX_FAILED_STARTS) return Promise.resolve({ kind: 'failed', message: 'the render worker cannot start' });
    if (this.queue.length >= this.opts.queueLimit) {
      this.stats.busy++;
      return Promise.resolve({ kind: 'busy' });
    }
    return new Promise((resolve) => {
      const job: Job<I, R> = { id: this.nextId++, input, settle: resolve };
      job.waitTimer = setTimeout(() => {
        const at = this.queue.indexOf(job);
        if (at < 0) return;
        this.queue.splice(at, 1);
        this.stats.busy++;
        resolve({ kind: 'busy' });
      }, this.opts.maxWaitMs);
      job.waitTimer.unref();
      this.queue.push(job);
      this.dispatch();
    });
  }

  /** Ends every worker; waiting and running jobs answer "failed". */
  async close(): Promise<void> {
    for (const job of this.queue.splice(0)) {
      clearTimeout(job.waitTimer);
      job.settle({ kind: 'failed', message: 'the renderer was closed' });
    }
    await Promise.all(this.slots.splice(0).map((slot) => this.retire(slot, { kind: 'failed', message: 'the renderer was closed' })));
  }

  private dispatch(): void {
    for (const slot of this.slots) {
      if (this.queue.length === 0) return;
      if (slot.ready && slot.job === null) this.start(slot, this.queue.shift()!);
    }
    // still waiting: a new worker while there is room (it takes a job once warm)
    const warming = this.slots.filter((s) => !s.ready).length;
    if (this.queue.length > warming && this.slots.length < this.opts.size) this.spawn();
  }

  private start(slot: Slot<I, R>, job: Job<I, R>): void {
    clearTimeout(job.waitTimer);
    slot.job = job;
    slot.runTimer = setTimeout(() => {
      this.stats.timeouts++;
      void this.replace(slot, { kind: 'timeout' });
    }, this.opts.timeoutMs);
    slot.runTimer.unref();
    slot.worker.ref();
    slot.worker.postMessage({ id: job.id, input: job.input });
  }

  private spawn(): void {
    const { workerUrl, resourceLimits } = this.opts;
    const worker = new Worker(workerUrl, { resourceLimits });
    this.stats.started++;
    const slot: Slot<I, R> = { worker, ready: false, job: null };
    this.slots.push(slot);
    worker.on('message', (message: WorkerMessage<R>) => {
      if ('ready' in message) {
        slot.ready = true;
        this.failedStarts = 0;
        this.dispatch();
        if (slot.job === null) worker.unref();
        return;
      }
      const job = slot.job;
      if (job === null || job.id !== message.id) return;
      clearTimeout(slot.runTimer);
      slot.job = null;
      job.settle(message.ok ? { kind: 'done', value: message.value } : { kind: 'failed', message: message.error });
      this.dispatch();
      // an idle worker must not keep the process alive; a busy or warming one must, or its job is lost
      if (slot.job === null) worker.unref();
    });
    // a crash (out of memory, a stack overflow outside any try) ends this worker only
    worker.on('error', (error) => {
      if (!slot.ready) this.failedStarts++;
      void this.replace(slot, { kind: 'failed', message: error.message });
    });
    worker.on('exit', () => {
      if (this.slots.includes(slot)) void this.replace(slot, { kind: 'failed', message: 'the render worker stopped' });
    });
  }

  /** Drops the slot (its job gets `outcome`) and lets dispatch start another worker if work waits. */
  private async replace(slot: Slot<I, R>, outcome: PoolOutcome<R>): Promise<void> {
    const at = this.slots.indexOf(slot);
    if (at < 0) return;
    this.slots.splice(at, 1);
    await this.retire(slot, outcome);
    if (this.failedStarts >= MAX_FAILED_STARTS) {
      for (const job of this.queue.splice(0)) {
        clearTimeout(job.waitTimer);
        job.settle({ kind: 'failed', message: 'the render worker cannot start' });
      }
      return;
    }
    this.dispatch();
  }

  private async retire(slot: Slot<I, R>, outcome: PoolOutcome<R>): Promise<void> {
    clearTimeout(slot.runTimer);
    const job = slot.job;
    slot.job = null;
    job?.settle(outcome);
    slot.worker.removeAllListeners('exit');
    this.stats.terminated++;
    await slot.worker.terminate();
  }
}
