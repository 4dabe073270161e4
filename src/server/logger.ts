/**
 * Server logs as human-readable lines (`text`) or one JSON object per line (`json`, for
 * log collectors). Fields are structured in both, so a request log line carries method,
 * path, status and duration either way.
 *
 * Lines are not written one by one: a write to stderr is a system call, synchronous for
 * files and pipes, and one per request cost a busy server a sizeable share of its time.
 * Info lines (the request log) collect in a buffer written once per turn of the event loop
 * (everything answered in that turn goes out in one write, before the loop waits for more
 * input, so a line is never later than the work after it), or at once when the buffer is
 * large. Warnings and errors flush the buffer and go out immediately, in order; `flush()`
 * and process exit write whatever is left.
 *
 * Every line passes redact(): a URL with a password in a git error, say, is logged without it.
 */
import type { Writable } from 'node:stream';
import { redact } from '../redact.js';

export type LogFormat = 'text' | 'json';
export type LogLevel = 'info' | 'warn' | 'error';
export type LogFields = Record<string, string | number | boolean | null | undefined>;

export interface Logger {
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  /** writes out buffered lines now (when stopping); loggers that do not buffer need not have it */
  flush?(): void;
}

export const LOG_FORMATS: readonly LogFormat[] = ['text', 'json'];

/** Past this many buffered characters the buffer is written without waiting for the turn to end. */
const MAX_BUFFERED = 64 * 1024;

const LEVEL_LABELS: Record<LogLevel, string> = { info: 'INFO ', warn: 'WARN ', error: 'ERROR' };

/** Buffers with unwritten lines, written at exit if the loop never reaches their flush. */
const unflushed = new Set<() => void>();
let exitHookInstalled = false;

export function createLogger(format: LogFormat, out: Writable = process.stderr): Logger & { flush(): void } {
  let buffered = '';
  let scheduled = false;
  const flush = () => {
    unflushed.delete(flush);
    if (buffered === '') return;
    const text = buffered;
    buffered = '';
    out.write(text);
  };
  const onTurnEnd = () => {
    scheduled = false;
    flush();
  };
  const clock = lastMillisecondClock();
  const line = (level: LogLevel, message: string, fields: LogFields | undefined): string =>
    redact(format === 'json' ? jsonLine(clock(), level, message, fields) : textLine(clock(), level, message, fields));
  const buffer = (level: LogLevel, message: string, fields?: LogFields) => {
    buffered += line(level, message, fields);
    if (buffered.length >= MAX_BUFFERED) return flush();
    unflushed.add(flush);
    installExitHook();
    if (!scheduled) {
      scheduled = true;
      setImmediate(onTurnEnd);
    }
  };
  const immediate = (level: LogLevel, message: string, fields?: LogFields) => {
    buffered += line(level, message, fields);
    flush();
  };
  return {
    info: (m, f) => buffer('info', m, f),
    warn: (m, f) => immediate('warn', m, f),
    error: (m, f) => immediate('error', m, f),
    flush,
  };
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const flush of [...unflushed]) flush();
  });
}

/** new Date().toISOString(), computed once per millisecond: a busy server logs many lines in one. */
function lastMillisecondClock(): () => string {
  let last = -1;
  let text = '';
  return () => {
    const now = Date.now();
    if (now !== last) {
      last = now;
      text = new Date(now).toISOString();
    }
    return text;
  };
}

function jsonLine(time: string, level: LogLevel, message: string, fields: LogFields | undefined): string {
  return `${JSON.stringify({ time, level, msg: message, ...fields })}\n`;
}

function textLine(time: string, level: LogLevel, message: string, fields: LogFields | undefined): string {
  let extra = '';
  if (fields !== undefined) {
    for (const key of Object.keys(fields)) {
      const v = fields[key];
      if (v === undefined) continue;
      extra += ` ${key}=${typeof v === 'string' && /\s|"/.test(v) ? JSON.stringify(v) : String(v)}`;
    }
  }
  return `${time} ${LEVEL_LABELS[level]} ${message}${extra}\n`;
}

export const silentLogger: Logger = { info: () => undefined, warn: () => undefined, error: () => undefined };
