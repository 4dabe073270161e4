/**
 * Server logs as human-readable lines (`text`) or one JSON object per line (`json`, for
 * log collectors). Fields are structured in both, so a request log line carries method,
 * path, status and duration either way.
 *
 * Lines are not written one by one: a write to stderr is a system call, synchronous for
 * files and pipes, and one per request cost a busy server a sizeable share of its time.
 * Info lines (the request log) collect in a buffer written at the end of the event loop's
 * turn, and at most once every MIN_WRITE_INTERVAL_MS: a quiet server writes each line as
 * soon as its turn ends, a busy one a few hundred lines per write (a write per turn was
 * a few lines each under load, and cost about 2 us per request more). Past MAX_BUFFERED
 * characters the buffer is written at once. Warnings and errors flush the buffer and go
 * out immediately, in order; `flush()` and process exit write whatever is left.
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

/** The most an info line waits for a write after the one before it (a busy server's batching). */
const MIN_WRITE_INTERVAL_MS = 20;

const LEVEL_LABELS: Record<LogLevel, string> = { info: 'INFO ', warn: 'WARN ', error: 'ERROR' };

/** Buffers with unwritten lines, written at exit if the loop never reaches their flush. */
const unflushed = new Set<() => void>();
let exitHookInstalled = false;

export function createLogger(format: LogFormat, out: Writable = process.stderr): Logger & { flush(): void } {
  let buffered = '';
  let scheduled = false;
  let lastWrite = -Infinity;
  const flush = () => {
    unflushed.delete(flush);
    if (buffered === '') return;
    const text = buffered;
    buffered = '';
    lastWrite = performance.now();
    out.write(text);
  };
  const onTurnEnd = () => {
    const wait = lastWrite + MIN_WRITE_INTERVAL_MS - performance.now();
    if (wait > 0) {
      // unref'd: a pending write keeps no process alive; the exit hook writes it instead
      setTimeout(onTurnEnd, wait).unref();
      return;
    }
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
  let line = `${time} ${LEVEL_LABELS[level]} ${message}`;
  // for-in and a test per value: the request log writes a line per request, and an array of
  // keys or a regex match per field showed in its profile
  for (const key in fields) {
    const v = fields[key];
    if (v === undefined) continue;
    line += typeof v === 'string' ? (needsQuotes(v) ? ` ${key}=${JSON.stringify(v)}` : ` ${key}=${v}`) : ` ${key}=${String(v)}`;
  }
  return `${line}\n`;
}

/** whether a text field must be quoted to stay one token: it holds white space, a quote or a control character (JSON then escapes the line breaks) */
function needsQuotes(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c === 0x22 || c <= 0x20 || (c >= 0x7f && c <= 0x9f) || (c > 0x9f && /\s/.test(value[i]!))) return true;
  }
  return false;
}

export const silentLogger: Logger = { info: () => undefined, warn: () => undefined, error: () => undefined };
