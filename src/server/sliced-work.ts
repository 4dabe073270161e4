/**
 * CPU-heavy work that shares the event loop: a generator that yields every few hundred
 * microseconds of work, run by one queue for the whole process. Each turn of the event
 * loop gives the queue at most TURN_MS, spread over its tasks in turn, then lets timers
 * and I/O run; between turns, new tasks may run their first steps at once, INLINE_MS for
 * all of them together. A task that pauses with its own setImmediate would not do: twenty
 * of them at once each take a slice in the same turn, and the loop is held twenty times as
 * long.
 * When nothing else is waiting, a turn costs next to nothing, so the tasks still get
 * almost all of the CPU.
 */

/** What the queue may spend in one turn of the event loop. */
export const TURN_MS = 4;
/**
 * What tasks may spend at once, when they are started, between two turns of the queue:
 * most searches finish in a fraction of a millisecond, and waiting for the next turn of the
 * loop would add more than that to their answer. Together with the queue's turn, the loop
 * is held for at most a few slices per turn however many tasks arrive at once.
 */
export const INLINE_MS = 2;

interface Task {
  steps: Iterator<void, unknown>;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

const queue: Task[] = [];
let scheduled = false;
/** spent by tasks run at once since the queue's last turn */
let inlineMs = 0;

/**
 * Runs `steps` to its end, a step at a time between other tasks' steps; resolves with its
 * return value. Its first steps run at once while the inline budget lasts: a task done by
 * then costs no wait for a turn, and one that is not goes on in the queue from where it is.
 */
export function runSliced<T>(steps: Iterator<void, T>): Promise<T> {
  if (inlineMs < INLINE_MS) {
    const started = performance.now();
    let step: IteratorResult<void, T>;
    try {
      do step = steps.next();
      while (step.done !== true && inlineMs + performance.now() - started < INLINE_MS);
    } catch (error) {
      spentInline(started);
      return Promise.reject(error);
    }
    spentInline(started);
    if (step.done === true) return Promise.resolve(step.value);
  }
  return new Promise<T>((resolve, reject) => {
    queue.push({ steps, resolve: resolve as (value: unknown) => void, reject });
    schedule();
  });
}

function spentInline(started: number): void {
  inlineMs += performance.now() - started;
  schedule();
}

/** A generator's steps run at once, for callers that cannot wait (and small inputs). */
export function runToEnd<T>(steps: Iterator<void, T>): T {
  for (let step = steps.next(); ; step = steps.next()) if (step.done === true) return step.value;
}

function schedule(): void {
  // a turn also opens the next inline budget
  if (scheduled || (queue.length === 0 && inlineMs === 0)) return;
  scheduled = true;
  setImmediate(turn);
}

function turn(): void {
  scheduled = false;
  inlineMs = 0;
  const started = performance.now();
  // round robin: a long task does not keep a short one waiting behind it
  while (queue.length > 0 && performance.now() - started < TURN_MS) {
    const task = queue.shift()!;
    let step: IteratorResult<void, unknown>;
    try {
      step = task.steps.next();
    } catch (error) {
      task.reject(error);
      continue;
    }
    if (step.done === true) task.resolve(step.value);
    else queue.push(task);
  }
  schedule();
}

/** Elements sorted or merged per step of sortSliced. */
const SORT_STEP = 4096;

/**
 * `items` sorted by `compare` (stable), in steps: runs of SORT_STEP sorted at once, then
 * merged pairwise a SORT_STEP at a time. Sorting tens of thousands of items with a
 * comparator in one go would hold the event loop for tens of milliseconds.
 */
export function* sortSliced(items: Int32Array, compare: (a: number, b: number) => number): Generator<void, Int32Array> {
  let from = items.slice();
  for (let start = 0; start < from.length; start += SORT_STEP) {
    from.subarray(start, start + SORT_STEP).sort(compare);
    yield;
  }
  let to = new Int32Array(from.length);
  for (let width = SORT_STEP; width < from.length; width *= 2) {
    let budget = SORT_STEP;
    for (let lo = 0; lo < from.length; lo += 2 * width) {
      const mid = Math.min(lo + width, from.length);
      const hi = Math.min(lo + 2 * width, from.length);
      let i = lo;
      let j = mid;
      for (let k = lo; k < hi; k++) {
        // the left run first among equals keeps the sort stable
        to[k] = j >= hi || (i < mid && compare(from[i]!, from[j]!) <= 0) ? from[i++]! : from[j++]!;
        if (--budget === 0) {
          budget = SORT_STEP;
          yield;
        }
      }
    }
    [from, to] = [to, from];
  }
  return from;
}
