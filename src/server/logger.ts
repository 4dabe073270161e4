/**
 * Server logs as human-readable lines (`text`) or one JSON object per line (`json`, for
 * log collectors). Fields are structured in both, so a request log line carries method,
 * path, status and duration either way.
 */
import type { Writable } from 'node:stream';

export type LogFormat = 'text' | 'json';
export type LogLevel = 'info' | 'warn' | 'error';
export type LogFields = Record<string, string | number | boolean | null | undefined>;

export interface Logger {
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
}

export const LOG_FORMATS: readonly LogFormat[] = ['text', 'json'];

export function createLogger(format: LogFormat, out: Writable = process.stderr): Logger {
  const write = (level: LogLevel, message: string, fields: LogFields = {}) => {
    const time = new Date().toISOString();
    if (format === 'json') {
      out.write(`${JSON.stringify({ time, level, msg: message, ...fields })}\n`);
      return;
    }
    const extra = Object.entries(fields)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `${k}=${typeof v === 'string' && /\s|"/.test(v) ? JSON.stringify(v) : String(v)}`)
      .join(' ');
    out.write(`${time} ${level.toUpperCase().padEnd(5)} ${message}${extra ? ` ${extra}` : ''}\n`);
  };
  return {
    info: (m, f) => write('info', m, f),
    warn: (m, f) => write('warn', m, f),
    error: (m, f) => write('error', m, f),
  };
}

export const silentLogger: Logger = { info: () => undefined, warn: () => undefined, error: () => undefined };
